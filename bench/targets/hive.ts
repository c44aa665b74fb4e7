/**
 * Baseline 3: Hive Gateway (`@graphql-hive/gateway`), the peer users would pick instead,
 * serving the same committed supergraph over the same subgraphs with its default settings.
 * Its runtime is a fetch-API handler, served here by node:http as its documentation shows.
 * Subgraph URLs are overridden per subgraph, and the pre-signed context of the caller's
 * scope is added to every subgraph request with its header-propagation option.
 *
 * One default is turned off: Hive merges identical subgraph requests that are in flight at
 * the same time. Under a benchmark that sends one operation over and over with one
 * pre-signed context, that would answer most requests without any subgraph work, which no
 * real traffic allows (and CareGraph's per-request contexts never match each other).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGatewayRuntime } from '@graphql-hive/gateway';
import type { SubgraphName } from '../../lib/config.js';
import { SUBGRAPH_NAMES } from '../../lib/config.js';
import { readCommittedSupergraph } from '../../lib/federation/compose.js';
import { scopeKeyOfHeader } from '../credentials.js';
import { presignedHeaders } from '../contexts.js';
import type { BaselineOptions } from './apollo.js';

export async function startHiveBaseline(options: BaselineOptions): Promise<{ url: string; close(): Promise<void> }> {
  const gateway = createGatewayRuntime({
    supergraph: readCommittedSupergraph(),
    transportEntries: Object.fromEntries(
      SUBGRAPH_NAMES.map((name) => [name, { location: options.subgraphUrls[name], options: { deduplicateInflightRequests: false } }]),
    ),
    logging: 'error',
    // Its request-id plugin would overwrite the x-request-id our pre-signed contexts are bound to.
    requestId: false,
    propagateHeaders: {
      fromClientToSubgraphs({ request, subgraphName }) {
        return presignedHeaders(options.contexts, scopeKeyOfHeader(request.headers.get('x-tenant-id')), subgraphName as SubgraphName);
      },
    },
  });
  const server = http.createServer(gateway);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, options.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${options.host}:${port}/graphql`,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await gateway.dispose();
    },
  };
}
