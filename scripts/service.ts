/**
 * Starts one service in this process: `npm run service -- <gateway|tenancy|erp|clinical-ops|observability>`.
 * Configuration comes from the environment (see README); subgraphs need DATABASE_APP_URL (or
 * DATABASE_URL and DATABASE_APP_PASSWORD to derive it) on a database that is already migrated
 * (`npm run migrate`); the gateway needs no database. This is how services run in a real
 * deployment, and how `npm start` runs each of them.
 */
import { ConfigError, loadConfig, type Config } from '../lib/config.js';
import type { RunningService } from '../lib/subgraph.js';

/** Each service loads only its own code: a gateway process carries no subgraph, and vice versa. */
const SERVICES: Record<string, (config: Config) => Promise<RunningService>> = {
  gateway: async (config) => (await import('../gateway/index.js')).start({ config }),
  tenancy: async (config) => (await import('../subgraphs/tenancy/index.js')).start({ config }),
  erp: async (config) => (await import('../subgraphs/erp/index.js')).start({ config }),
  'clinical-ops': async (config) => (await import('../subgraphs/clinical-ops/index.js')).start({ config }),
  observability: async (config) => (await import('../subgraphs/observability/index.js')).start({ config }),
};

const name = process.argv[2] ?? '';
const known = Object.keys(SERVICES);

async function main(): Promise<void> {
  if (!known.includes(name)) {
    console.error(`Usage: npm run service -- <${known.join('|')}>`);
    process.exit(2);
  }
  const config = loadConfig();
  const service = await SERVICES[name]!(config);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await service.close().catch(() => undefined);
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : `${name} failed to start: ${(error as Error).message}`);
  process.exit(1);
});
