import type { Database } from '../../lib/db/index.js';
import { rowLoader } from '../../lib/loaders.js';
import type { SubgraphContext } from '../../lib/subgraph/index.js';
import type { TenantContext } from '../../lib/tenant-context.js';
import { appointmentsByPatientLoader, fetchPatientsByIds } from './patients.js';
import { PhiAuditTrail } from './phi-audit.js';
import { summaryLoader } from './summary.js';

/** Per-request loaders of the clinical-ops subgraph. */
export function createClinicalLoaders(db: Database, tenant: TenantContext) {
  return {
    summaryByTenant: summaryLoader(db, tenant),
    patientById: rowLoader(db, tenant, fetchPatientsByIds, (row) => row.id),
    appointmentsByPatient: appointmentsByPatientLoader(db, tenant),
    phiAudit: new PhiAuditTrail(),
  };
}

export type ClinicalContext = SubgraphContext<ReturnType<typeof createClinicalLoaders>>;
