/**
 * The gateway: one federated graph over the four subgraphs, served from the committed
 * supergraph. Each request is authenticated, bound to a tenant (or platform/partner level),
 * stripped of the fields its caller may not read before planning, and forwarded with a
 * tenant context signed for each subgraph.
 */
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { DevIssuer } from '../lib/auth/dev-issuer.js';
import { gatewayDatabaseUrl } from '../lib/db/roles.js';
import type { Config, SubgraphName } from '../lib/config.js';
import { SUBGRAPH_NAMES } from '../lib/config.js';
import { maskError } from '../lib/errors.js';
import { readCommittedSupergraph } from '../lib/federation/supergraph-file.js';
import { readCommittedPartnerContract } from '../lib/federation/partner-contract.js';
import { TrustedDocuments } from '../lib/trusted-documents.js';
import { listenApollo } from '../lib/http/apollo-http.js';
import { createLogger } from '../lib/logger.js';
import { currentRequestContext, runWithRequestContext } from '../lib/request-context.js';
import { ServiceClient } from '../lib/service-client.js';
import { safeErrorFields, type RunningService } from '../lib/subgraph/index.js';
import { createContextSigner } from '../lib/tenant-context.js';
import { Authenticator } from './authenticate.js';
import { EXPLORER_PATH, explorerRoutes } from './explorer/routes.js';
import { exportRoutes } from './exports.js';
import { BreakGlassVerifier } from './break-glass.js';
import { CLIENT_REQUEST_HEADERS, contextFactory, type GatewayContext } from './context.js';
import { SignedContextDataSource, subgraphCalls } from './data-source.js';
import { FieldPolicies } from './field-policies.js';
import { Introspection } from './introspection.js';
import { PartnerContract } from './partner-contract.js';
import { readinessRoute, subgraphStatusRoute } from './health.js';
import { policyRewrite } from './policy-rewrite.js';
import { RequestRateLimits } from './rate-limits.js';
import { TenantResolver } from './tenant-access.js';

export const name = 'gateway';

export interface GatewayOptions {
  config: Config;
  port?: number;
  /** Subgraph URLs; default to the configured ones. */
  subgraphUrls?: Partial<Record<SubgraphName, string>>;
  /**
   * The gateway role's connection string, where the rate-limit counters every replica shares
   * live; defaults to the configured one (DATABASE_GATEWAY_URL, lib/db/roles.ts). None: each
   * replica counts in its own memory.
   */
  databaseUrl?: string;
  /** The HTTP front; node:http's `listenApollo` unless a benchmark compares another (bench/http-front.ts). */
  listen?: typeof listenApollo;
}

/**
 * Response headers a page on an allowed origin may read: the rate-limit state a client paces
 * itself by (lib/rate-limit/limiter.ts), and `retry-after` on a refusal.
 */
const EXPOSED_HEADERS = ['ratelimit-policy', 'ratelimit', 'retry-after'];

export async function start(options: GatewayOptions): Promise<RunningService> {
  const { config } = options;
  const logger = createLogger(name, config.logLevel);
  const signer = createContextSigner(config);
  const urls = { ...config.subgraphUrls, ...options.subgraphUrls };
  for (const subgraph of SUBGRAPH_NAMES) if (!urls[subgraph]) throw new Error(`No URL for subgraph ${subgraph}`);

  const supergraphSdl = readCommittedSupergraph();
  const devIssuer = config.auth.mode === 'dev' ? await DevIssuer.open(config) : undefined;
  const services = new ServiceClient(name, signer, urls);
  const authenticator = new Authenticator(config, services, devIssuer);
  const rateLimits = config.rateLimits.enabled
    ? new RequestRateLimits(config, logger, options.databaseUrl ?? gatewayDatabaseUrl(config))
    : undefined;
  const createContext = contextFactory(
    authenticator,
    new TenantResolver(config, services),
    new BreakGlassVerifier(services),
    rateLimits,
  );
  const policies = new FieldPolicies(supergraphSdl);
  const checks = {
    policies,
    trusted: TrustedDocuments.load(),
    introspection: new Introspection(policies.schema, policies.policies),
    contract: new PartnerContract(readCommittedPartnerContract()),
  };

  // One timeout and circuit breaker per subgraph, shared by its data source and the status route.
  const calls = subgraphCalls(config, logger);
  const gateway = new ApolloGateway({
    supergraphSdl,
    buildService: ({ name: subgraph }) => new SignedContextDataSource(subgraph, urls[subgraph as SubgraphName], signer, calls[subgraph as SubgraphName]),
  });
  const server = new ApolloServer<GatewayContext>({
    gateway,
    plugins: [ApolloServerPluginLandingPageDisabled()],
    formatError: (formatted) => maskError(formatted, currentRequestContext()?.requestId),
    includeStacktraceInErrorResponses: false,
    // The server's own APQ would run a hash without the field-policy walk: trusted documents are
    // resolved to their text before it (gateway/trusted-documents.ts), and it sees queries only.
    persistedQueries: false,
  });
  const http = await (options.listen ?? listenApollo)(
    {
      server,
      createContext,
      rewrite: policyRewrite(checks),
      timeoutMs: config.gatewayRequestTimeoutMs,
      // Errors outside execution (a route, the context factory, the rewrite) end in a masked 500.
      onError: (error, { requestId }) => logger.error({ err: safeErrorFields(error), requestId }, 'request failed'),
      around: (context, fn) => runWithRequestContext(context.tenant, fn),
      responseHeaders: (context) => context.responseHeaders,
      routes: {
        '/healthz': async () => ({ status: 200, body: { status: 'ok', service: name } }),
        '/readyz': readinessRoute(urls, logger, rateLimits),
        '/readyz/subgraphs': subgraphStatusRoute({ urls, calls, authenticator }),
        ...(devIssuer ? { '/.well-known/jwks.json': async () => ({ status: 200, body: devIssuer.jwks() }) } : {}),
        ...explorerRoutes({ config, devIssuer }),
        ...exportRoutes({ authenticator, services }),
      },
      browserRedirect: EXPLORER_PATH,
      readinessPaths: ['/readyz'],
      shutdownGraceMs: config.shutdownGraceMs,
      // Browsers reach the gateway: security headers on every answer, CORS for the allowed origins.
      browser: { allowedOrigins: config.corsAllowedOrigins, allowedHeaders: CLIENT_REQUEST_HEADERS, exposedHeaders: EXPOSED_HEADERS },
    },
    config.host,
    options.port ?? config.ports.gateway,
  );
  logger.info({ url: http.url, auth: config.auth.mode, rateLimits: rateLimits?.mode() ?? 'off' }, 'gateway ready');
  return {
    name,
    url: http.url,
    port: http.port,
    async close() {
      await http.close();
      await rateLimits?.close();
    },
  };
}
