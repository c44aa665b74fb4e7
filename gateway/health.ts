/**
 * `/readyz`: the supergraph is loaded (the server is listening) and every subgraph answers its
 * health check. The answer is anonymous, so it says only ready or not; which subgraph failed
 * (and how) goes to the log for operators, never to the caller — the platform's internal
 * topology is nobody else's business.
 */
import type { SubgraphName } from '../lib/config.js';
import type { PlainRoute } from '../lib/http/apollo-http.js';
import type { Logger } from '../lib/logger.js';

const PROBE_TIMEOUT_MS = 1_000;

export function readinessRoute(urls: Record<SubgraphName, string>, logger: Logger): PlainRoute {
  return async () => {
    const checks = await Promise.all(
      Object.entries(urls).map(async ([subgraph, url]) => {
        try {
          const response = await fetch(new URL('/healthz', url), { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
          return [subgraph, response.ok ? 'ok' : `status ${response.status}`] as const;
        } catch {
          return [subgraph, 'unreachable'] as const;
        }
      }),
    );
    const failing = checks.filter(([, state]) => state !== 'ok');
    if (failing.length > 0) logger.warn({ subgraphs: Object.fromEntries(failing) }, 'not ready: subgraph health checks failed');
    return { status: failing.length === 0 ? 200 : 503, body: { status: failing.length === 0 ? 'ready' : 'not ready' } };
  };
}
