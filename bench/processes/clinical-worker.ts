/**
 * Child process: clinical-ops' worker (subgraphs/clinical-ops/worker.ts) with its production
 * timings, configured from the environment like `npm run service -- clinical-ops-worker`;
 * SIMULATORS_URL points it at the run's simulators.
 */
import { loadConfig } from '../../lib/config.js';
import { start } from '../../subgraphs/clinical-ops/worker.js';
import { serveChild } from './serve.js';

serveChild<{ pid: number }>(async () => {
  const worker = await start(loadConfig());
  return { ready: { pid: process.pid }, close: () => worker.close() };
});
