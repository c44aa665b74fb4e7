/**
 * The graceful stop of an HTTP server, for every service: it stops accepting connections at
 * once, lets the requests in flight finish for at most `graceMs`, and closes each keep-alive
 * connection as soon as it is idle (a response finished), so that clients reconnect to another
 * replica instead of sending more work here. Whatever still runs at the deadline is cut off:
 * a stuck request must not keep a stopping service alive.
 */
import type http from 'node:http';

/** How often connections that became idle during the grace period are closed. */
const IDLE_SWEEP_MS = 100;

/** Resolves once every connection has ended; `cutOff` says whether the grace period ran out first. */
export function closeGracefully(server: http.Server, graceMs: number): Promise<{ cutOff: boolean }> {
  return new Promise((resolve) => {
    let cutOff = false;
    const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
    const deadline = setTimeout(() => {
      cutOff = true;
      server.closeAllConnections();
    }, graceMs);
    server.close(() => {
      clearInterval(sweep);
      clearTimeout(deadline);
      resolve({ cutOff });
    });
    server.closeIdleConnections();
  });
}
