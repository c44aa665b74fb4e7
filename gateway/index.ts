/**
 * The gateway: one federated graph over the four subgraphs, served from the committed
 * supergraph, with the tenant context signed onto every subgraph request.
 */
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import type { Config, SubgraphName } from '../lib/config.js';
import { SUBGRAPH_NAMES } from '../lib/config.js';
import { maskError } from '../lib/errors.js';
import { readCommittedSupergraph } from '../lib/federation/compose.js';
import { listenApollo } from '../lib/http/apollo-http.js';
import { createLogger } from '../lib/logger.js';
import { currentRequestContext, runWithRequestContext } from '../lib/request-context.js';
import type { RunningService } from '../lib/subgraph.js';
import { createContextSigner } from '../lib/tenant-context.js';
import { createGatewayContext, type GatewayContext } from './context.js';
import { SignedContextDataSource } from './data-source.js';
import { readinessRoute } from './health.js';

export const name = 'gateway';

export interface GatewayOptions {
  config: Config;
  port?: number;
  /** Subgraph URLs; default to the configured ones. */
  subgraphUrls?: Partial<Record<SubgraphName, string>>;
}

export async function start(options: GatewayOptions): Promise<RunningService> {
  const { config } = options;
  const logger = createLogger(name, config.logLevel);
  const signer = createContextSigner(config);
  const urls = { ...config.subgraphUrls, ...options.subgraphUrls };
  for (const subgraph of SUBGRAPH_NAMES) if (!urls[subgraph]) throw new Error(`No URL for subgraph ${subgraph}`);

  const gateway = new ApolloGateway({
    supergraphSdl: readCommittedSupergraph(),
    buildService: ({ name: subgraph }) => new SignedContextDataSource(subgraph, urls[subgraph as SubgraphName], signer),
  });
  const server = new ApolloServer<GatewayContext>({
    gateway,
    plugins: [ApolloServerPluginLandingPageDisabled()],
    formatError: (formatted) => maskError(formatted, currentRequestContext()?.requestId),
    includeStacktraceInErrorResponses: false,
  });
  const http = await listenApollo(
    {
      server,
      createContext: createGatewayContext,
      around: (context, fn) => runWithRequestContext(context.tenant, fn),
      routes: {
        '/healthz': async () => ({ status: 200, body: { status: 'ok', service: name } }),
        '/readyz': readinessRoute(urls),
      },
    },
    config.host,
    options.port ?? config.ports.gateway,
  );
  logger.info({ url: http.url }, 'gateway ready');
  return { name, url: http.url, port: http.port, close: () => http.close() };
}
