/** `/readyz`: the supergraph is loaded (the server is listening) and every subgraph answers its health check. */
import type { SubgraphName } from '../lib/config.js';
import type { PlainRoute } from '../lib/http/apollo-http.js';

const PROBE_TIMEOUT_MS = 1_000;

export function readinessRoute(urls: Record<SubgraphName, string>): PlainRoute {
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
    const ready = checks.every(([, state]) => state === 'ok');
    return { status: ready ? 200 : 503, body: { status: ready ? 'ready' : 'not ready', subgraphs: Object.fromEntries(checks) } };
  };
}
