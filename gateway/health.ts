/**
 * `/readyz`: the supergraph is loaded (the server is listening) and every subgraph answers its
 * health check. The answer is anonymous, so it says only ready or not; which subgraph failed
 * (and how) goes to the log for operators, never to the caller — the platform's internal
 * topology is nobody else's business.
 *
 * A failure is logged when it changes (another subgraph fails, or one recovers), not at every
 * probe: a load balancer or `npm start` polling a starting gateway many times a second would
 * otherwise bury the log under one identical warning per poll.
 */
import type { SubgraphName } from '../lib/config.js';
import type { PlainRoute } from '../lib/http/apollo-http.js';
import { createKeepAliveFetcher } from '../lib/http/keep-alive-fetcher.js';
import type { Logger } from '../lib/logger.js';

const PROBE_TIMEOUT_MS = 1_000;
const probe = createKeepAliveFetcher({ timeoutMs: PROBE_TIMEOUT_MS, maxResponseBytes: 64 * 1024 });

export function readinessRoute(urls: Record<SubgraphName, string>, logger: Pick<Logger, 'warn' | 'info'>): PlainRoute {
  let reported = '';
  return async () => {
    const checks = await Promise.all(
      Object.entries(urls).map(async ([subgraph, url]) => {
        try {
          const response = await probe(new URL('/healthz', url).href);
          return [subgraph, response.ok ? 'ok' : `status ${response.status}`] as const;
        } catch {
          return [subgraph, 'unreachable'] as const;
        }
      }),
    );
    const failing = checks.filter(([, state]) => state !== 'ok');
    const state = JSON.stringify(failing);
    if (state !== reported) {
      if (failing.length > 0) logger.warn({ subgraphs: Object.fromEntries(failing) }, 'not ready: subgraph health checks failed');
      else if (reported !== '') logger.info('ready: every subgraph answers its health check again');
      reported = failing.length > 0 ? state : '';
    }
    return { status: failing.length === 0 ? 200 : 503, body: { status: failing.length === 0 ? 'ready' : 'not ready' } };
  };
}
