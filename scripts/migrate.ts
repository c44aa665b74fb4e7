/** `npm run migrate`: applies every subgraph's pending migrations (embedded database or DATABASE_URL). */
import { ConfigError, loadConfig } from '../lib/config.js';
import { openDatabaseServer } from '../lib/db/index.js';
import { migrateAll } from './platform.js';

try {
  const database = await openDatabaseServer(loadConfig());
  try {
    const applied = await migrateAll(database.adminUrl);
    console.log(applied.length ? `Applied:\n  ${applied.join('\n  ')}` : 'Nothing to apply: the schema is up to date.');
  } finally {
    await database.stop();
  }
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : `Migration failed: ${(error as Error).message}`);
  process.exit(1);
}
