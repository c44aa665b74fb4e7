/**
 * Starts one service in this process: `npm run service -- <name>`, where the name is a
 * service of the registry (lib/services.ts: gateway, tenancy, erp, clinical-ops,
 * observability) or `<service>-worker` for the worker a service owns. Configuration comes
 * from the environment (see README); subgraphs and workers need DATABASE_APP_URL (or
 * DATABASE_URL and DATABASE_APP_PASSWORD to derive it) on a database that is already migrated
 * (`npm run migrate`); the gateway needs no database. This is how services run in a real
 * deployment, and how `npm start` runs each of them.
 */
import { ConfigError, loadConfig } from '../lib/config.js';
import { importModule, serviceProcesses, type ServiceModule, type WorkerModule } from '../lib/services.js';

const name = process.argv[2] ?? '';
const processes = serviceProcesses();

async function main(): Promise<void> {
  const chosen = processes.find((candidate) => candidate.name === name);
  if (!chosen) {
    console.error(`Usage: npm run service -- <${processes.map((candidate) => candidate.name).join('|')}>`);
    process.exit(2);
  }
  const config = loadConfig();
  // Each process loads only its own code: a gateway process carries no subgraph, and vice versa.
  const running =
    chosen.kind === 'worker'
      ? await (await importModule<WorkerModule>(chosen.module)).start(config)
      : await (await importModule<ServiceModule>(chosen.module)).start({ config });
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    try {
      await running.close();
    } catch (error) {
      console.error(`${name} did not stop cleanly: ${(error as Error).message}`);
      process.exit(1);
    }
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : `${name} failed to start: ${(error as Error).message}`);
  process.exit(1);
});
