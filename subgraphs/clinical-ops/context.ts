import type { Database } from '../../lib/db/index.js';
import { rowLoader } from '../../lib/loaders.js';
import type { SubgraphContext } from '../../lib/subgraph/index.js';
import type { TenantContext } from '../../lib/tenant-context.js';
import { appointmentsByPatientLoader, fetchAppointmentsByIds } from './appointments.js';
import { coveragesByPatientLoader } from './coverage.js';
import { fetchLocationsByIds } from './locations.js';
import { fetchPatientsByIds } from './patients.js';
import { fetchProvidersByIds } from './providers.js';
import { PhiAuditTrail } from './phi-audit.js';
import { summaryLoader } from './summary.js';

/** Per-request loaders of the clinical-ops subgraph. */
export function createClinicalLoaders(db: Database, tenant: TenantContext) {
  return {
    summaryByTenant: summaryLoader(db, tenant),
    patientById: rowLoader(db, tenant, fetchPatientsByIds, (row) => row.id),
    appointmentsByPatient: appointmentsByPatientLoader(db, tenant),
    appointmentById: rowLoader(db, tenant, fetchAppointmentsByIds, (row) => row.id),
    coveragesByPatient: coveragesByPatientLoader(db, tenant),
    providerById: rowLoader(db, tenant, fetchProvidersByIds, (row) => row.id),
    locationById: rowLoader(db, tenant, fetchLocationsByIds, (row) => row.id),
    phiAudit: new PhiAuditTrail(),
  };
}

export type ClinicalContext = SubgraphContext<ReturnType<typeof createClinicalLoaders>>;
