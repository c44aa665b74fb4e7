/**
 * Child process: the four subgraphs, on free ports of 127.0.0.1, configured from the
 * environment like `npm run service`. Every gateway target of a run talks to these same
 * instances, so differences between targets are the gateways' own.
 */
import { loadConfig, SUBGRAPH_NAMES, type SubgraphName } from '../../lib/config.js';
import { SUBGRAPHS } from '../../scripts/platform.js';
import { serveChild } from './serve.js';

export interface SubgraphsReady {
  urls: Record<SubgraphName, string>;
}

serveChild<SubgraphsReady>(async () => {
  const config = loadConfig();
  const services = await Promise.all(SUBGRAPH_NAMES.map((name) => SUBGRAPHS[name].start({ config, port: 0 })));
  return {
    ready: { urls: Object.fromEntries(services.map((service) => [service.name, service.url])) as Record<SubgraphName, string> },
    close: async () => {
      await Promise.all(services.map((service) => service.close()));
    },
  };
});
