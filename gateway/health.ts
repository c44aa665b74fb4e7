/**
 * The gateway's readiness, for load balancers and for operators.
 *
 * `/readyz` answers ready while the gateway can serve: the supergraph is loaded (the server is
 * listening) and the subgraphs that every request depends on answer their health checks.
 * Those are `REQUIRED_SUBGRAPHS`, tenancy and erp: each request's authentication (API keys,
 * gateway/authenticate.ts) and tenant resolution (tenant status, cohort flags and plan
 * entitlements, gateway/tenant-access.ts) call their internal routes, and tenancy defines the
 * `Tenant` entity every other part of the graph hangs from; without them nearly every request
 * fails whole. Any other subgraph down (clinical-ops, observability) is a degradation: its
 * fields come back null with SUBGRAPH_UNAVAILABLE and the rest of each answer is served. Taking
 * the replica out of the load balancer for that would turn a partial outage into a whole one —
 * and every replica sees the same dead subgraph, so all of them would leave together.
 *
 * The `/readyz` answer is anonymous, so it says only ready or not; which subgraph failed (and
 * how) goes to the log for operators, never to the caller — the platform's internal topology is
 * nobody else's business. A failure is logged when it changes (another subgraph fails, or one
 * recovers), not at every probe: a load balancer or `npm start` polling a starting gateway many
 * times a second would otherwise bury the log under one identical warning per poll.
 *
 * `/readyz` also says how rate limits are counted (`rateLimits`: `shared` across replicas,
 * `failing open` or `local` while the shared store is unreachable, `off`): the issue is the
 * operator's to see, but not a reason to leave the load balancer, so it never makes the answer 503.
 *
 * `/readyz/subgraphs` shows operators each subgraph's state — health probe, circuit breaker,
 * last failure, timeout — and is refused to anyone but platform staff with a Bearer token.
 */
import type http from 'node:http';
import type { SubgraphName } from '../lib/config.js';
import { TenantForbiddenError, UnauthenticatedError } from '../lib/errors.js';
import type { PlainRoute } from '../lib/http/apollo-http.js';
import { createKeepAliveFetcher } from '../lib/http/keep-alive-fetcher.js';
import type { Logger } from '../lib/logger.js';
import { PLATFORM_ROLES } from '../lib/policy/spec.js';
import type { Authenticator } from './authenticate.js';
import type { SubgraphCalls } from './data-source.js';
import type { RequestRateLimits } from './rate-limits.js';

/** The subgraphs without which the gateway cannot serve (see above); the others only degrade answers. */
export const REQUIRED_SUBGRAPHS: readonly SubgraphName[] = Object.freeze(['tenancy', 'erp']);

const PROBE_TIMEOUT_MS = 1_000;
const probe = createKeepAliveFetcher({ timeoutMs: PROBE_TIMEOUT_MS, maxResponseBytes: 64 * 1024 });

/** What a subgraph's `/healthz` said: `ok`, `status <n>`, or `unreachable` (no answer within the probe's timeout). */
type ProbeResult = 'ok' | `status ${number}` | 'unreachable';

async function probeAll(urls: Partial<Record<SubgraphName, string>>): Promise<[SubgraphName, ProbeResult][]> {
  return Promise.all(
    (Object.entries(urls) as [SubgraphName, string][]).map(async ([subgraph, url]): Promise<[SubgraphName, ProbeResult]> => {
      try {
        const response = await probe(new URL('/healthz', url).href);
        return [subgraph, response.ok ? 'ok' : `status ${response.status}`];
      } catch {
        return [subgraph, 'unreachable'];
      }
    }),
  );
}

const isRequired = (subgraph: SubgraphName): boolean => REQUIRED_SUBGRAPHS.includes(subgraph);

/** `/readyz`: probes the required subgraphs only, and answers 200 ready or 503 not ready, naming none. */
export function readinessRoute(
  urls: Partial<Record<SubgraphName, string>>,
  logger: Pick<Logger, 'warn' | 'info'>,
  rateLimits?: Pick<RequestRateLimits, 'mode'>,
): PlainRoute {
  const required = Object.fromEntries(Object.entries(urls).filter(([subgraph]) => isRequired(subgraph as SubgraphName)));
  let reported = '';
  return async () => {
    const failing = (await probeAll(required)).filter(([, state]) => state !== 'ok');
    const state = JSON.stringify(failing);
    if (state !== reported) {
      if (failing.length > 0) logger.warn({ subgraphs: Object.fromEntries(failing) }, 'not ready: subgraph health checks failed');
      else if (reported !== '') logger.info('ready: every subgraph answers its health check again');
      reported = failing.length > 0 ? state : '';
    }
    return {
      status: failing.length === 0 ? 200 : 503,
      body: { status: failing.length === 0 ? 'ready' : 'not ready', rateLimits: rateLimits?.mode() ?? 'off' },
    };
  };
}

export interface SubgraphStatusOptions {
  urls: Record<SubgraphName, string>;
  calls: Record<SubgraphName, Pick<SubgraphCalls, 'breaker' | 'timeoutMs'>>;
  authenticator: Pick<Authenticator, 'authenticate'>;
}

const isoOrNull = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/**
 * `/readyz/subgraphs`: for platform staff, each subgraph's health probe (run now), circuit
 * breaker state, last counted failure and timeout, and whether readiness depends on it. No
 * address: the operator knows where the subgraphs run, and the answer may end up in a ticket.
 */
export function subgraphStatusRoute({ urls, calls, authenticator }: SubgraphStatusOptions): PlainRoute {
  return async (req) => {
    await requirePlatformStaff(req, authenticator);
    const probes = await probeAll(urls);
    const subgraphs = Object.fromEntries(
      probes.map(([subgraph, health]) => {
        const breaker = calls[subgraph].breaker.snapshot();
        return [
          subgraph,
          {
            required: isRequired(subgraph),
            health,
            breaker: breaker.state,
            consecutiveFailures: breaker.consecutiveFailures,
            lastFailureAt: isoOrNull(breaker.lastFailureAt),
            openedAt: isoOrNull(breaker.openedAt),
            timeoutMs: calls[subgraph].timeoutMs,
          },
        ];
      }),
    );
    const ready = probes.every(([subgraph, health]) => health === 'ok' || !isRequired(subgraph));
    return { status: 200, body: { status: ready ? 'ready' : 'not ready', subgraphs }, headers: { 'cache-control': 'no-store' } };
  };
}

/**
 * Platform staff only, by Bearer token: an API key never qualifies (keys hold no role), and is
 * refused before it would cost a lookup in tenancy — which may be the very subgraph that is down.
 */
async function requirePlatformStaff(req: http.IncomingMessage, authenticator: Pick<Authenticator, 'authenticate'>): Promise<void> {
  if (typeof req.headers.authorization !== 'string') throw new UnauthenticatedError('Subgraph status is for platform staff: send a Bearer token');
  const principal = await authenticator.authenticate(req);
  if (principal.kind !== 'user' || !principal.roles.some((role) => PLATFORM_ROLES.includes(role))) {
    throw new TenantForbiddenError('Subgraph status is for platform staff only');
  }
}
