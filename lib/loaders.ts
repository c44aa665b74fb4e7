/**
 * DataLoader factory shared by the subgraphs: one batch = one tenant-bound transaction = one
 * query, whatever the number of keys. Loaders are created per request, and a request acts
 * for one tenant context, so a cache never spans tenants.
 */
import DataLoader from 'dataloader';
import type { Database, Tx } from './db/index.js';
import type { TenantContext } from './tenant-context.js';

/**
 * A loader of at most one row per key. `fetch` receives the distinct keys and returns the
 * rows it found; keys without a row (missing, or hidden by row-level security) load `null`.
 */
export function rowLoader<K extends string, R>(
  db: Database,
  tenant: TenantContext,
  fetch: (tx: Tx, keys: readonly K[]) => Promise<R[]>,
  keyOf: (row: R) => K,
): DataLoader<K, R | null> {
  return new DataLoader<K, R | null>(async (keys) => {
    const rows = await db.withTenant(tenant, (tx) => fetch(tx, keys));
    const byKey = new Map(rows.map((row) => [keyOf(row), row]));
    return keys.map((key) => byKey.get(key) ?? null);
  });
}
