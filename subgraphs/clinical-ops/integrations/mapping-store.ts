/**
 * The tenants' mappings as the connectors read them: one statement per tenant per TTL, in a
 * transaction bound to the tenant (row-level security, and an ISOLATED tenant's own database
 * through the placement-routed pool), all of the tenant's connectors at once. A call through a
 * connector never waits on the database while its tenant's mappings are cached.
 *
 * A change reaches the connectors of the process that made it at once (`forget`), and every
 * other process within the TTL: the bound on how long an approved endpoint or a new timeout
 * takes to apply everywhere.
 */
import type { Database, Tx } from '../../../lib/db/index.js';
import { TtlCache } from '../../../lib/ttl-cache.js';
import type { TenantContext } from '../../../lib/tenant-context.js';
import type { ConnectorKind } from './contract.js';
import { effectiveMapping, MAPPING_COLUMNS, type EffectiveMapping, type MappingRow } from './mapping.js';

/** How long the connectors trust a tenant's mappings read from the database (ms). */
export const MAPPING_CACHE_TTL_MS = 5_000;

/** The tenant's stored mappings, one row per connector it set anything for. */
export function readMappingRows(tx: Tx, tenantId: string): Promise<MappingRow[]> {
  return tx.query<MappingRow>(`SELECT ${MAPPING_COLUMNS} FROM integration_mappings WHERE tenant_id = $1`, [tenantId]);
}

/** The context the connectors read a tenant's mappings in: the integration gateway's, bound to that tenant. */
export function integrationContext(tenantId: string): TenantContext {
  return {
    requestId: `integrations:${tenantId}`,
    correlationId: null,
    access: 'tenant',
    tenantId,
    principal: { id: 'service:clinical-ops-integrations', kind: 'service' },
    roles: [],
    scopes: [],
    entitlements: [],
  };
}

export interface MappingSource {
  /** The mapping `connector` uses for `tenantId`, defaults filled in. */
  mappingOf(tenantId: string, connector: ConnectorKind): Promise<EffectiveMapping>;
}

/** Mappings from the database, cached per tenant for `ttlMs` (bounded: `maxTenants`). */
export class MappingStore implements MappingSource {
  private readonly cache: TtlCache<ReadonlyMap<ConnectorKind, MappingRow>>;

  constructor(
    private readonly db: Database,
    options: { ttlMs?: number; maxTenants?: number } = {},
  ) {
    this.cache = new TtlCache(options.ttlMs ?? MAPPING_CACHE_TTL_MS, options.maxTenants ?? 10_000);
  }

  async mappingOf(tenantId: string, connector: ConnectorKind): Promise<EffectiveMapping> {
    const id = tenantId.toLowerCase();
    const rows = await this.cache.get(id, async () => {
      const found = await this.db.withTenant(integrationContext(id), (tx) => readMappingRows(tx, id));
      return new Map(found.map((row) => [row.connector, row]));
    });
    return effectiveMapping(id, connector, rows.get(connector));
  }

  /** Forgets a tenant's cached mappings: the next call reads them again (after a change in this process). */
  forget(tenantId: string): void {
    this.cache.delete(tenantId.toLowerCase());
  }
}
