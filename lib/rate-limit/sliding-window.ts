/**
 * The arithmetic of a sliding-window rate limit, kept apart from any store so that it is the
 * same for PostgreSQL and memory, and testable alone.
 *
 * Time is cut into fixed windows of `windowMs`. A bucket (one API key, user or tenant) counts
 * its hits per window; its rate now is estimated as the hits of the current window plus the
 * previous window's hits weighted by how much of the previous window still lies within one
 * window of now. This smooths the edge of a fixed window (no double burst at the boundary)
 * with two counters per bucket instead of a log of every request, and is what Cloudflare
 * and nginx-style limiters use; its error against an exact sliding log is small for steady
 * traffic and never lets more than the limit through a full window.
 */

/** The counters of one bucket, as a store returns them. */
export interface WindowCounts {
  /** Hits in the current window, this request included. */
  current: number;
  /** Hits in the window before. */
  previous: number;
  /** Milliseconds of the current window that have passed (by the store's clock). */
  elapsedMs: number;
  /** Which window `current` counts (time ÷ window length, by the store's clock): where a hit is taken back. */
  window: number;
}

/** What the arithmetic reads of a bucket's counts. */
export type WindowArithmetic = Pick<WindowCounts, 'current' | 'previous' | 'elapsedMs'>;

/** The estimated number of hits in the last `windowMs`. */
export function estimate(counts: WindowArithmetic, windowMs: number): number {
  const previousWeight = Math.max(0, 1 - counts.elapsedMs / windowMs);
  return counts.previous * previousWeight + counts.current;
}

/**
 * Milliseconds from now until the estimate falls below `limit` again, if nothing else hits the
 * bucket: 0 when it is below already. Past the current window, the current window becomes the
 * previous one and decays the same way.
 */
export function msUntilBelow(counts: WindowArithmetic, limit: number, windowMs: number): number {
  if (estimate(counts, windowMs) < limit) return 0;
  const { current, previous, elapsedMs } = counts;
  if (current < limit) {
    // previous × (1 − (elapsed + x) / window) + current < limit
    const x = windowMs * (1 - (limit - current) / previous) - elapsedMs;
    return Math.max(1, Math.ceil(x));
  }
  // The rest of this window, then until the decaying current window drops below the limit.
  const intoNext = windowMs * (1 - limit / current);
  return Math.max(1, Math.ceil(windowMs - elapsedMs + intoNext));
}
