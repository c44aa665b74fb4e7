/**
 * Child process: the simulators of the external systems (simulators/), on a free port of
 * 127.0.0.1, for the noisy-neighbour scenario's workflows to call.
 */
import { loadConfig } from '../../lib/config.js';
import { start } from '../../simulators/index.js';
import { serveChild } from './serve.js';

serveChild<{ url: string }>(async () => {
  const simulators = await start({ config: loadConfig(), port: 0 });
  return { ready: { url: simulators.url }, close: () => simulators.close() };
});
