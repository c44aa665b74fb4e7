/**
 * The tenants' integration mappings through GraphQL (docs/integrations.md, *Mappings*):
 * `integrationMappings` reads every connector's mapping of a tenant (the defaults where it set
 * none), `setIntegrationMapping` applies unprotected fields at once — enabled, timeout, breaker
 * thresholds, field map — as one new revision, audited through the
 * `clinical-ops.integration-mapping.changed` event (tenancy writes it into the tenant's audit
 * chain). Protected fields go through four eyes (mapping-changes.ts).
 *
 * Who: a tenant admin for their own tenant (tenant level), a platform admin for any tenant it
 * names (platform level). Everyone else is refused before the database is touched, and a refused
 * input writes nothing.
 */
import type { Tx } from '../../../lib/db/index.js';
import { BadUserInputError, InsufficientScopeError, TenantForbiddenError } from '../../../lib/errors.js';
import { publishEvent } from '../../../lib/events/outbox.js';
import { requireUuid } from '../../../lib/ids.js';
import { createLogger } from '../../../lib/logger.js';
import { actingOn, type TenantContext } from '../../../lib/tenant-context.js';
import type { ClinicalContext } from '../context.js';
import { CONNECTOR_KINDS, type ConnectorKind } from './contract.js';
import { forgetMappings } from './gateway.js';
import { changedFields, connectorOf, defaultRow, effectiveMapping, FIELD_MAP_SCHEMAS, MAPPING_COLUMNS, parseUnprotectedChange, PAYER_CONNECTORS, type EffectiveMapping, type FieldMap, type MappingRow } from './mapping.js';
import { readMappingRows } from './mapping-store.js';

const logger = createLogger('clinical-ops');

/**
 * The tenant a mapping request acts on, or a refusal: a tenant admin's own tenant (naming another
 * is TENANT_FORBIDDEN), or the tenant a platform admin names.
 */
export function mappingTenant(tenant: TenantContext, tenantId: unknown, argument: string): { tenantId: string; acting: TenantContext } {
  if (tenant.access === 'platform') {
    if (!tenant.roles.includes('platform_admin')) throw new InsufficientScopeError('Only platform admins and the tenant’s admins manage integration mappings');
    const id = requireUuid(tenantId, argument).toLowerCase();
    return { tenantId: id, acting: actingOn(tenant, id) };
  }
  if (tenant.access !== 'tenant' || !tenant.tenantId) throw new TenantForbiddenError('Integration mappings are managed inside one tenant, or by platform admins');
  if (!tenant.roles.includes('tenant_admin')) throw new InsufficientScopeError('Only platform admins and the tenant’s admins manage integration mappings');
  if (tenantId != null && requireUuid(tenantId, argument).toLowerCase() !== tenant.tenantId.toLowerCase()) {
    throw new TenantForbiddenError('A tenant admin manages the integration mappings of their own tenant only');
  }
  return { tenantId: tenant.tenantId, acting: tenant };
}

/** Serialises changes to one tenant's mapping of one connector (direct and approved alike). */
export const lockMapping = (tx: Tx, tenantId: string, connector: ConnectorKind) => tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`integration-mapping:${tenantId}:${connector}`]);

export async function readMappingRow(tx: Tx, tenantId: string, connector: ConnectorKind): Promise<MappingRow | undefined> {
  const [row] = await tx.query<MappingRow>(`SELECT ${MAPPING_COLUMNS} FROM integration_mappings WHERE tenant_id = $1 AND connector = $2`, [tenantId, connector]);
  return row;
}

/** Writes a mapping row as the next revision (the first when there is none). */
export async function writeMapping(tx: Tx, row: Omit<MappingRow, 'revision' | 'updated_at'>): Promise<MappingRow> {
  const [written] = await tx.query<MappingRow>(
    `INSERT INTO integration_mappings (tenant_id, connector, enabled, base_url, payer_ids, field_map, timeout_ms, breaker_failure_threshold, breaker_window_ms,
                                       breaker_cool_down_ms, updated_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
     ON CONFLICT (tenant_id, connector) DO UPDATE SET
       enabled = excluded.enabled, base_url = excluded.base_url, payer_ids = excluded.payer_ids, field_map = excluded.field_map,
       timeout_ms = excluded.timeout_ms, breaker_failure_threshold = excluded.breaker_failure_threshold, breaker_window_ms = excluded.breaker_window_ms,
       breaker_cool_down_ms = excluded.breaker_cool_down_ms, updated_by = excluded.updated_by, updated_at = now(), revision = integration_mappings.revision + 1
     RETURNING ${MAPPING_COLUMNS}`,
    [
      row.tenant_id,
      row.connector,
      row.enabled,
      row.base_url,
      JSON.stringify(row.payer_ids),
      JSON.stringify(row.field_map),
      row.timeout_ms,
      row.breaker_failure_threshold,
      row.breaker_window_ms,
      row.breaker_cool_down_ms,
      row.updated_by,
    ],
  );
  return written!;
}

/** A stored row, or the defaults' row for a connector the tenant has set nothing for. */
export const rowOrDefaults = (tenantId: string, connector: ConnectorKind, row: MappingRow | undefined, updatedBy: string): Omit<MappingRow, 'revision' | 'updated_at'> =>
  row ?? defaultRow(tenantId, connector, updatedBy);

interface FieldMapInput {
  providerId?: string | null;
  serviceTypeCodes?: string[] | null;
  placeOfService?: string | null;
  templates?: { template: string; providerTemplate: string }[] | null;
}

/** The GraphQL field map as stored: enum values in lower case, templates as a map; a null field is left out. */
function fieldMapOf(input: FieldMapInput | null | undefined): FieldMap | null | undefined {
  if (input === undefined || input === null) return input;
  const map: Record<string, unknown> = {};
  if (input.providerId != null) map.providerId = input.providerId.toLowerCase();
  if (input.serviceTypeCodes != null) map.serviceTypeCodes = input.serviceTypeCodes;
  if (input.placeOfService != null) map.placeOfService = input.placeOfService;
  if (input.templates != null) {
    const templates: Record<string, string> = {};
    for (const { template, providerTemplate } of input.templates) {
      if (template in templates) throw new BadUserInputError(`input.fieldMap.templates names ${template} twice`, { argument: 'input.fieldMap.templates' });
      templates[template] = providerTemplate;
    }
    map.templates = templates;
  }
  return map;
}

interface SetInput {
  tenantId?: string | null;
  connector: string;
  enabled?: boolean | null;
  timeoutMs?: number | null;
  breakerFailureThreshold?: number | null;
  breakerWindowMs?: number | null;
  breakerCoolDownMs?: number | null;
  fieldMap?: FieldMapInput | null;
}

async function setMapping(ctx: ClinicalContext, input: SetInput): Promise<EffectiveMapping> {
  const connector = connectorOf(input.connector, 'input.connector');
  const { tenantId, acting } = mappingTenant(ctx.tenant, input.tenantId, 'input.tenantId');
  const { tenantId: _tenant, connector: _connector, fieldMap, ...rest } = input;
  if (rest.enabled === null) throw new BadUserInputError('input.enabled must be true or false', { argument: 'input.enabled' });
  const change = parseUnprotectedChange(connector, { ...rest, fieldMap: fieldMapOf(fieldMap) });
  const fields = changedFields(change);
  const row = await ctx.db.withTenant(acting, async (tx) => {
    await lockMapping(tx, tenantId, connector);
    const current = rowOrDefaults(tenantId, connector, await readMappingRow(tx, tenantId, connector), acting.principal.id);
    const pick = <T>(value: T | undefined, held: T): T => (value === undefined ? held : value);
    const written = await writeMapping(tx, {
      ...current,
      enabled: pick(change.enabled, current.enabled),
      timeout_ms: pick(change.timeoutMs, current.timeout_ms),
      breaker_failure_threshold: pick(change.breakerFailureThreshold, current.breaker_failure_threshold),
      breaker_window_ms: pick(change.breakerWindowMs, current.breaker_window_ms),
      breaker_cool_down_ms: pick(change.breakerCoolDownMs, current.breaker_cool_down_ms),
      field_map: change.fieldMap === undefined ? current.field_map : (change.fieldMap ?? {}),
      updated_by: acting.principal.id,
    });
    // Audited in the tenant's chain (tenancy), committed with the change or not at all.
    await publishEvent(tx, 'clinical-ops.integration-mapping.changed', acting, {
      connector,
      status: 'applied',
      fields,
      revision: written.revision,
      changeRequestId: null,
      protectedValue: null,
    });
    return written;
  });
  forgetMappings(ctx.db, tenantId);
  logger.info({ tenantId, connector, fields, revision: row.revision, principalId: acting.principal.id }, 'integration mapping changed');
  return effectiveMapping(tenantId, connector, row);
}

const iso = (value: Date | null) => value?.toISOString() ?? null;
const pairs = (map: Readonly<Record<string, string>>, key: string, value: string) => Object.entries(map).map(([k, v]) => ({ [key]: k, [value]: v }));

/** A mapping as GraphQL shows it: enum values upper case, the field map's fields that apply to the connector, the others null. */
export function toIntegrationMapping(mapping: EffectiveMapping) {
  const applies = (field: string) => field in FIELD_MAP_SCHEMAS[mapping.connector].shape;
  return {
    tenant: { __typename: 'Tenant', id: mapping.tenantId },
    connector: mapping.connector.toUpperCase(),
    enabled: mapping.enabled,
    baseUrl: mapping.baseUrl,
    payerIds: PAYER_CONNECTORS.includes(mapping.connector) ? pairs(mapping.payerIds, 'tenantPayerCode', 'payerId') : [],
    fieldMap: {
      providerId: applies('providerId') ? mapping.fieldMap.providerId.toUpperCase() : null,
      serviceTypeCodes: applies('serviceTypeCodes') ? mapping.fieldMap.serviceTypeCodes : null,
      placeOfService: applies('placeOfService') ? mapping.fieldMap.placeOfService : null,
      templates: applies('templates') ? pairs(mapping.fieldMap.templates, 'template', 'providerTemplate') : null,
    },
    timeoutMs: mapping.timeoutMs,
    breaker: mapping.breaker,
    revision: mapping.revision,
    updatedAt: iso(mapping.updatedAt),
    updatedBy: mapping.updatedBy,
  };
}

export const mappingAdminResolvers = {
  Query: {
    async integrationMappings(_: unknown, args: { tenantId?: string | null }, ctx: ClinicalContext) {
      const { tenantId, acting } = mappingTenant(ctx.tenant, args.tenantId, 'tenantId');
      const rows = await ctx.db.withTenant(acting, (tx) => readMappingRows(tx, tenantId));
      const byConnector = new Map(rows.map((row) => [row.connector, row]));
      return CONNECTOR_KINDS.map((connector) => toIntegrationMapping(effectiveMapping(tenantId, connector, byConnector.get(connector))));
    },
  },
  Mutation: {
    setIntegrationMapping: async (_: unknown, args: { input: SetInput }, ctx: ClinicalContext) => toIntegrationMapping(await setMapping(ctx, args.input)),
  },
};
