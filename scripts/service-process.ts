/**
 * One process of the service registry, running: configuration from the environment, the
 * module started, SIGINT/SIGTERM closing it gracefully (readiness first, then the work in
 * hand within SHUTDOWN_GRACE_MS, then the pools). Shared by `npm run service -- <name>` (which
 * loads the module by its registry path) and the compiled bundles of `npm start` (which carry
 * their one module inside, see build.ts).
 */
import { ConfigError, loadConfig } from '../lib/config.js';
import { serviceProcesses, type ServiceModule, type WorkerModule } from '../lib/services.js';

/**
 * Where a compiled bundle's loader (bundle-loader.ts) waits to hear that the process is up: it
 * then writes the V8 code cache, which by now holds every function the start compiled.
 */
export const READY_HOOK = Symbol.for('caregraph.process.ready');

/** How long past SHUTDOWN_GRACE_MS a stopping process may take to close its pools before it exits anyway. */
const STOP_BACKSTOP_MS = 4_000;

/** The message a process sends its launcher (`npm start`) over the IPC channel once it serves. */
export const PROCESS_READY_MESSAGE = 'caregraph:ready';

/**
 * Tells whoever waits that this process is up: the loader of its compiled bundle, if any (it
 * saves the code cache), and the launcher that spawned it with an IPC channel, if any (it then
 * stops waiting without polling). The channel is closed after: nothing else goes over it.
 */
export function reportProcessReady(): void {
  (globalThis as { [READY_HOOK]?: () => void })[READY_HOOK]?.();
  if (process.send && process.connected) process.send({ type: PROCESS_READY_MESSAGE }, () => process.disconnect());
}

/** Starts the named process of the registry from its loaded module; exits the process when it cannot. */
export async function runServiceProcess(name: string, load: () => Promise<ServiceModule | WorkerModule>): Promise<void> {
  const chosen = serviceProcesses().find((candidate) => candidate.name === name);
  if (!chosen) {
    console.error(`Usage: npm run service -- <${serviceProcesses().map((candidate) => candidate.name).join('|')}>`);
    process.exit(2);
  }
  try {
    const config = loadConfig();
    const module = await load();
    const running =
      chosen.kind === 'worker' ? await (module as WorkerModule).start(config) : await (module as ServiceModule).start({ config });
    let stopping = false;
    const stop = async () => {
      if (stopping) return;
      stopping = true;
      // close() is bounded by SHUTDOWN_GRACE_MS; this is the backstop should something in it hang.
      setTimeout(() => {
        console.error(`${name} did not stop within ${config.shutdownGraceMs + STOP_BACKSTOP_MS} ms; exiting`);
        process.exit(1);
      }, config.shutdownGraceMs + STOP_BACKSTOP_MS).unref();
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
    reportProcessReady();
  } catch (error) {
    console.error(error instanceof ConfigError ? error.message : `${name} failed to start: ${(error as Error).message}`);
    process.exit(1);
  }
}
