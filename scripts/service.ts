/**
 * Starts one service in this process: `npm run service -- <name>`, where the name is a
 * service of the registry (lib/services.ts: gateway, tenancy, erp, clinical-ops,
 * observability) or `<service>-worker` for the worker a service owns. Configuration comes
 * from the environment (see README); subgraphs and workers need DATABASE_APP_URL (or
 * DATABASE_URL and DATABASE_APP_PASSWORD to derive it) on a database that is already migrated
 * (`npm run migrate`); the gateway needs no database. `node dist/run.cjs <name>` runs the
 * same process compiled, as `npm start` and a deployment do (build.ts).
 */
import { importModule, serviceProcesses, type ServiceModule, type WorkerModule } from '../lib/services.js';
import { runServiceProcess } from './service-process.js';

const name = process.argv[2] ?? '';
// Each process loads only its own code: a gateway process carries no subgraph, and vice versa.
const chosen = serviceProcesses().find((candidate) => candidate.name === name);
void runServiceProcess(name, () => importModule<ServiceModule | WorkerModule>(chosen?.module ?? ''));
