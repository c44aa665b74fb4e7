/**
 * `npm run seed -- --tenants 400`: writes the deterministic demo fleet (default 40 tenants).
 * Tenants already present are kept, so a larger count adds the missing ones. Stop `npm start`
 * first when using the embedded database (one server per data folder). Refused when
 * NODE_ENV=production.
 */
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../lib/config.js';
import { openDatabaseServer } from '../lib/db/index.js';
import { demoPlan } from './demo-credentials.js';
import { migrateAll, seedDemo, tenantCount } from './platform.js';

const MAX_TENANTS = 10_000;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { tenants: { type: 'string', default: '40' } }, strict: true });
  const tenants = Number(values.tenants);
  if (!Number.isInteger(tenants) || tenants < 1 || tenants > MAX_TENANTS) {
    throw new Error(`--tenants must be a whole number from 1 to ${MAX_TENANTS} (got "${values.tenants}")`);
  }
  const config = loadConfig();
  if (!demoPlan(config.env, 0).seed) throw new Error('the demo fleet is never seeded when NODE_ENV=production');
  const database = await openDatabaseServer(config);
  try {
    await migrateAll(database.adminUrl);
    const before = await tenantCount(database.adminUrl);
    const started = Date.now();
    await seedDemo(database.adminUrl, { tenants, regionServers: config.database.regionServers, statementTimeoutMs: config.database.statementTimeoutMs });
    const after = await tenantCount(database.adminUrl);
    console.log(`Seeded ${after - before} new tenants (${after} in all) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    await database.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : `Seed failed: ${(error as Error).message}`);
  process.exit(1);
});
