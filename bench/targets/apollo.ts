/**
 * Baseline 2: a bare `@apollo/gateway` on `@apollo/server`, as its documentation sets one
 * up (standalone server, default RemoteGraphQLDataSource fetcher), over the same supergraph
 * and subgraphs. Its only addition is forwarding the pre-signed context the subgraphs
 * demand; it has none of CareGraph's plugins, context building or per-request signing.
 */
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import type { SubgraphName } from '../../lib/config.js';
import { readCommittedSupergraph } from '../../lib/federation/compose.js';
import { presignedHeaders, type PresignedContexts } from '../contexts.js';
import { scopeKeyOfHeader } from '../credentials.js';

export interface BaselineOptions {
  host: string;
  subgraphUrls: Record<SubgraphName, string>;
  contexts: PresignedContexts;
}

interface BaselineContext {
  scope?: string;
}

export async function startApolloBaseline(options: BaselineOptions): Promise<{ url: string; close(): Promise<void> }> {
  const gateway = new ApolloGateway({
    supergraphSdl: readCommittedSupergraph(),
    buildService: ({ name }) =>
      new RemoteGraphQLDataSource<BaselineContext>({
        url: options.subgraphUrls[name as SubgraphName],
        willSendRequest({ request, context }) {
          // The context and the request id it is bound to travel together, as from CareGraph's gateway.
          for (const [header, value] of Object.entries(presignedHeaders(options.contexts, (context as BaselineContext).scope, name as SubgraphName))) {
            request.http?.headers.set(header, value);
          }
        },
      }),
  });
  const server = new ApolloServer<BaselineContext>({ gateway });
  const { url } = await startStandaloneServer(server, {
    listen: { host: options.host, port: 0 },
    context: async ({ req }) => {
      const header = req.headers['x-tenant-id'];
      return { scope: scopeKeyOfHeader(typeof header === 'string' ? header : undefined) };
    },
  });
  return { url: new URL('/graphql', url).toString(), close: () => server.stop() };
}
