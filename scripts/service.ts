/**
 * Starts one service in this process: `npm run service -- <gateway|tenancy|erp|clinical-ops|observability>`.
 * Configuration comes from the environment (see README); subgraphs need DATABASE_URL.
 * This is how services run in a real deployment, and how `npm start` runs each of them.
 */
import * as gateway from '../gateway/index.js';
import { ConfigError, loadConfig, SUBGRAPH_NAMES, type SubgraphName } from '../lib/config.js';
import type { RunningService } from '../lib/subgraph.js';
import { SUBGRAPHS } from './platform.js';

const name = process.argv[2] ?? '';
const known = ['gateway', ...SUBGRAPH_NAMES];

async function main(): Promise<void> {
  if (!known.includes(name)) {
    console.error(`Usage: npm run service -- <${known.join('|')}>`);
    process.exit(2);
  }
  const config = loadConfig();
  const service: RunningService =
    name === 'gateway' ? await gateway.start({ config }) : await SUBGRAPHS[name as SubgraphName].start({ config });
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
