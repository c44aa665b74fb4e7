/**
 * The PHI audit: every PHI field read in a request is collected per record and written to
 * `phi_access_log` in one statement before the response leaves (see `requestDidEnd`); if the
 * write fails, the response is replaced by an error. In the same transaction the request's
 * reads are published as one `clinical-ops.phi.read` event (counts and record types, never which
 * patient or a value), which tenancy appends to the tenant's audit chain. Break-glass reads also
 * raise a security event in the logs (identifiers only, never values).
 */
import type { Database, Tx } from '../../lib/db/index.js';
import { publishEvent } from '../../lib/events/outbox.js';
import { PhiAccessDeniedError } from '../../lib/errors.js';
import { createLogger } from '../../lib/logger.js';
import type { PhiRead } from '../../lib/policy/enforce.js';
import type { TenantContext } from '../../lib/tenant-context.js';

const logger = createLogger('clinical-ops');

interface RecordRead {
  tenantId: string;
  recordType: string;
  recordId: string;
  fields: Set<string>;
  breakGlass: boolean;
}

/** Collects one request's PHI reads. */
export class PhiAuditTrail {
  private readonly reads = new Map<string, RecordRead>();

  /**
   * Notes one PHI field read. Under break-glass it first checks that the record belongs to a
   * patient the grant names and that the grant still holds: throwing here denies the field.
   */
  record(read: PhiRead, tenant: TenantContext): void {
    // A root field that reads PHI (fhirBundle) has no record of its own: its resolver records
    // each record it returns. A break-glass grant names single patients, never a whole export.
    if (read.typeName === 'Query') {
      if (read.breakGlass) throw new PhiAccessDeniedError('A break-glass grant covers the named patients, read one by one, not an export');
      return;
    }
    const source = read.source as { id?: string; tenant_id?: string; patient_id?: string };
    if (!source.id || !source.tenant_id) throw new Error(`PHI field ${read.typeName}.${read.fieldName} read from a row without id/tenant_id`);
    if (read.breakGlass) {
      const grant = tenant.breakGlassGrant;
      const patientId = source.patient_id ?? (read.typeName === 'Patient' ? source.id : undefined);
      if (!grant || grant.expiresAt <= Date.now() / 1000 || !patientId || !grant.patientIds.includes(patientId)) {
        throw new PhiAccessDeniedError('The break-glass grant does not cover this patient');
      }
    }
    const key = `${read.typeName}:${source.id}`;
    let entry = this.reads.get(key);
    if (!entry) {
      entry = { tenantId: source.tenant_id, recordType: read.typeName, recordId: source.id, fields: new Set(), breakGlass: false };
      this.reads.set(key, entry);
    }
    entry.fields.add(read.fieldName);
    entry.breakGlass ||= read.breakGlass;
  }

  async flush(db: Database, tenant: TenantContext): Promise<void> {
    if (this.reads.size === 0) return;
    const entries = [...this.reads.values()];
    this.reads.clear();
    await db.withTenant(tenant, async (tx) => {
      await tx.query(
        `INSERT INTO phi_access_log
              (tenant_id, request_id, correlation_id, grant_id, principal_id, principal_kind, roles, record_type, record_id, fields, purpose, break_glass)
         SELECT tenant_id, $1, $11, CASE WHEN break_glass THEN $12::uuid END, $2, $3, $4, record_type, record_id,
                string_to_array(fields, ','), $5, break_glass
           FROM unnest($6::uuid[], $7::text[], $8::uuid[], $9::text[], $10::boolean[])
             AS r(tenant_id, record_type, record_id, fields, break_glass)`,
        [
          tenant.requestId,
          tenant.principal.id,
          tenant.principal.kind,
          tenant.roles,
          tenant.purpose ?? null,
          entries.map((e) => e.tenantId),
          entries.map((e) => e.recordType),
          entries.map((e) => e.recordId),
          entries.map((e) => [...e.fields].sort().join(',')),
          entries.map((e) => e.breakGlass),
          tenant.correlationId ?? null,
          tenant.breakGlassGrant?.id ?? null,
        ],
      );
      await publishPhiRead(tx, tenant, entries);
    });
    const breakGlass = entries.filter((e) => e.breakGlass);
    if (breakGlass.length > 0) {
      logger.warn(
        {
          securityEvent: 'phi_break_glass',
          grantId: tenant.breakGlassGrant?.id,
          principalId: tenant.principal.id,
          roles: tenant.roles,
          records: breakGlass.length,
        },
        'PHI read under break-glass',
      );
    }
  }
}

/** The request's reads as one event of counts: what the tenant's audit chain records of them. */
async function publishPhiRead(tx: Tx, tenant: TenantContext, entries: readonly RecordRead[]): Promise<void> {
  const recordTypes: Record<string, number> = {};
  for (const entry of entries) recordTypes[entry.recordType] = (recordTypes[entry.recordType] ?? 0) + 1;
  const breakGlass = entries.some((entry) => entry.breakGlass);
  const grantId = breakGlass ? tenant.breakGlassGrant?.id : undefined;
  await publishEvent(tx, 'clinical-ops.phi.read', tenant, {
    recordCount: entries.length,
    fieldCount: entries.reduce((sum, entry) => sum + entry.fields.size, 0),
    recordTypes,
    roles: [...tenant.roles],
    breakGlass,
    ...(grantId ? { grantId } : {}),
  });
}
