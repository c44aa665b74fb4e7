/**
 * When a partner integration sends a request again. A rate limit (429) says when to come back
 * in `Retry-After`, and that time is honoured; without it, and after a network error or an
 * overloaded upstream (502, 503), the wait is capped exponential backoff with full jitter
 * (a random time up to `base · 2^retry`, at most `maxDelayMs`), so many clients refused at
 * once do not all come back at once. Nothing else is retried: another 4xx says the request
 * itself is wrong (a bad key, a forbidden tenant, an invalid operation) and would fail again,
 * and a 500 or 504 already cost the platform a full attempt.
 *
 * Only for queries: sending a mutation twice may do it twice.
 */

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** The backoff of the first retry is up to this long; it doubles with each retry. */
  baseDelayMs: number;
  /** The longest backoff, and the longest `Retry-After` waited for (a longer one is answered as it came). */
  maxDelayMs: number;
  /** Each attempt is abandoned after this long and counts as a network error (the gateway gives up at 10 s). */
  attemptTimeoutMs: number;
}

export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  maxAttempts: 5,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  attemptTimeoutMs: 15_000,
});

/** Statuses that mean "later", not "never". */
const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 502, 503]);

export interface RetryHooks {
  fetch?: typeof fetch;
  /** How to wait (tests record the waits instead). */
  sleep?: (ms: number) => Promise<void>;
  /** A number in [0, 1): the jitter. */
  random?: () => number;
  /** Told of each retry before its wait: for logs. */
  onRetry?: (event: { attempt: number; delayMs: number; reason: string }) => void;
}

/** The backoff before retry number `retry` (0 for the first): full jitter under the cap. */
export function backoffDelay(retry: number, policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
  return Math.floor(random() * ceiling);
}

/**
 * A `Retry-After` value in milliseconds: delay-seconds (what the platform sends) or an
 * HTTP-date (what proxies in front of it may send); undefined when absent or unreadable.
 */
export function retryAfterMs(header: string | null, now: number = Date.now()): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  // Only what looks like an HTTP-date (`Sun, 06 Nov 1994 08:49:37 GMT`): Date.parse reads "-1" as a year.
  if (!/^[A-Za-z]{3,9}, .* GMT$/.test(value)) return undefined;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Whether an answer with this status is worth sending again. */
export const isRetryableStatus = (status: number): boolean => RETRYABLE_STATUSES.has(status);

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * `fetch(url, init)` under the retry policy. Resolves with the last answer, which may still be
 * a 429 or 503 when the attempts ran out or the server asked for a longer wait than
 * `maxDelayMs`; rejects with the last network error when no attempt was answered. An abort
 * of `init.signal` is the caller's and is never retried.
 */
export async function fetchWithRetry(
  url: string | URL,
  init: RequestInit,
  policy: RetryPolicy = DEFAULT_RETRY_POLICY,
  hooks: RetryHooks = {},
): Promise<Response> {
  const { fetch: fetchImpl = fetch, sleep = defaultSleep, random = Math.random, onRetry } = hooks;
  for (let attempt = 1; ; attempt++) {
    const last = attempt >= policy.maxAttempts;
    const timeout = AbortSignal.timeout(policy.attemptTimeoutMs);
    let delayMs: number;
    let reason: string;
    try {
      const response = await fetchImpl(url, { ...init, signal: init.signal ? AbortSignal.any([init.signal, timeout]) : timeout });
      if (!isRetryableStatus(response.status) || last) return response;
      const asked = retryAfterMs(response.headers.get('retry-after'));
      if (asked !== undefined && asked > policy.maxDelayMs) return response;
      delayMs = asked ?? backoffDelay(attempt - 1, policy, random);
      reason = `HTTP ${response.status}`;
      // Read to the end so the connection goes back to the pool instead of waiting for a
      // timeout. A body that breaks off changes nothing: it is discarded and the request sent again.
      await response.arrayBuffer().catch(() => undefined);
    } catch (error) {
      if (init.signal?.aborted || last) throw error;
      delayMs = backoffDelay(attempt - 1, policy, random);
      reason = timeout.aborted ? `no answer within ${policy.attemptTimeoutMs} ms` : `network error: ${(error as Error).message}`;
    }
    onRetry?.({ attempt, delayMs, reason });
    await sleep(delayMs);
  }
}
