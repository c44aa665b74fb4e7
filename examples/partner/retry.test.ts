/**
 * The retry policy against a real HTTP server started here: rate limits are waited out as
 * `Retry-After` says, network errors and overload are retried with capped jittered backoff,
 * and any other 4xx is answered at once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type Reply, type TestServer } from '../test-server.js';
import { backoffDelay, fetchWithRetry, retryAfterMs, type RetryPolicy } from './retry.js';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A server answering its nth request with `replies[n]` (the last one from then on). */
async function serve(replies: Reply[]): Promise<{ url: string; requests: () => number }> {
  server = await startTestServer(replies);
  const { url, requests } = server;
  return { url, requests: () => requests.length };
}

const POLICY: RetryPolicy = { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 2_000, attemptTimeoutMs: 2_000 };
const POST: RequestInit = { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } };
const rateLimited = (retryAfter?: string): Reply => ({
  status: 429,
  headers: retryAfter === undefined ? {} : { 'retry-after': retryAfter },
  body: { errors: [{ message: 'Too many requests', extensions: { code: 'RATE_LIMITED' } }] },
});

/** Records the waits instead of waiting. */
function recordedSleep(): { sleep: (ms: number) => Promise<void>; waits: number[] } {
  const waits: number[] = [];
  return { waits, sleep: async (ms) => void waits.push(ms) };
}

describe('fetchWithRetry', () => {
  it('429 twice then 200: one answer, after waiting what Retry-After said each time', async () => {
    const { url, requests } = await serve([rateLimited('1'), rateLimited('2'), { status: 200 }]);
    const { sleep, waits } = recordedSleep();
    const response = await fetchWithRetry(url, POST, POLICY, { sleep });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: {} });
    expect(requests()).toBe(3);
    expect(waits).toEqual([1_000, 2_000]);
  });

  it('really waits out Retry-After (with the real clock)', async () => {
    const { url, requests } = await serve([rateLimited('1'), { status: 200 }]);
    const started = Date.now();
    const response = await fetchWithRetry(url, POST, POLICY);
    expect(response.status).toBe(200);
    expect(requests()).toBe(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
  });

  it('400: answered at once, never sent again', async () => {
    const { url, requests } = await serve([{ status: 400, body: { errors: [{ message: 'bad', extensions: { code: 'BAD_USER_INPUT' } }] } }]);
    const { sleep, waits } = recordedSleep();
    const response = await fetchWithRetry(url, POST, POLICY, { sleep });
    expect(response.status).toBe(400);
    expect(requests()).toBe(1);
    expect(waits).toEqual([]);
  });

  it.each([401, 403, 404, 413, 500, 504])('%i is not retried either', async (status) => {
    const { url, requests } = await serve([{ status }, { status: 200 }]);
    expect((await fetchWithRetry(url, POST, POLICY, recordedSleep())).status).toBe(status);
    expect(requests()).toBe(1);
  });

  it('429 without Retry-After, and 503: capped exponential backoff with jitter', async () => {
    const { url, requests } = await serve([rateLimited(), { status: 503 }, rateLimited(), rateLimited(), { status: 200 }]);
    const { sleep, waits } = recordedSleep();
    const response = await fetchWithRetry(url, POST, { ...POLICY, baseDelayMs: 400, maxDelayMs: 1_000 }, { sleep, random: () => 0.5 });
    expect(response.status).toBe(200);
    expect(requests()).toBe(5);
    // Half of min(1000, 400 · 2^retry): 400, 800, then the cap.
    expect(waits).toEqual([200, 400, 500, 500]);
  });

  it('a network error is retried', async () => {
    const { url, requests } = await serve(['hang-up', { status: 200 }]);
    const { sleep, waits } = recordedSleep();
    const response = await fetchWithRetry(url, POST, POLICY, { sleep, random: () => 0 });
    expect(response.status).toBe(200);
    expect(requests()).toBe(2);
    expect(waits).toEqual([0]);
  });

  it('gives up after maxAttempts: the last 429 is the answer', async () => {
    const { url, requests } = await serve([rateLimited('0')]);
    const response = await fetchWithRetry(url, POST, { ...POLICY, maxAttempts: 3 }, recordedSleep());
    expect(response.status).toBe(429);
    expect(requests()).toBe(3);
  });

  it('a Retry-After longer than maxDelayMs is answered as it came, not slept through', async () => {
    const { url, requests } = await serve([rateLimited('3600'), { status: 200 }]);
    const response = await fetchWithRetry(url, POST, POLICY, recordedSleep());
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('3600');
    expect(requests()).toBe(1);
  });

  it('rejects with the network error once the attempts run out', async () => {
    const { url, requests } = await serve(['hang-up']);
    await expect(fetchWithRetry(url, POST, { ...POLICY, maxAttempts: 2 }, recordedSleep())).rejects.toThrow();
    expect(requests()).toBe(2);
  });

  it('an attempt that gets no answer in time counts as a network error', async () => {
    const { url, requests } = await serve(['silence', { status: 200 }]);
    const reasons: string[] = [];
    const response = await fetchWithRetry(url, POST, { ...POLICY, attemptTimeoutMs: 200 }, { ...recordedSleep(), onRetry: (event) => reasons.push(event.reason) });
    expect(response.status).toBe(200);
    expect(requests()).toBe(2);
    expect(reasons).toEqual(['no answer within 200 ms']);
  });

  it('does not retry once the caller aborted', async () => {
    const { url, requests } = await serve(['hang-up']);
    const controller = new AbortController();
    controller.abort();
    await expect(fetchWithRetry(url, { ...POST, signal: controller.signal }, POLICY, recordedSleep())).rejects.toThrow();
    expect(requests()).toBe(0);
  });
});

describe('retryAfterMs', () => {
  it('reads delay-seconds and HTTP-dates; nothing else', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterMs('3', now)).toBe(3_000);
    expect(retryAfterMs(' 0 ', now)).toBe(0);
    expect(retryAfterMs('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5_000);
    expect(retryAfterMs('Wed, 31 Dec 2025 23:59:00 GMT', now)).toBe(0);
    expect(retryAfterMs(null, now)).toBeUndefined();
    expect(retryAfterMs('', now)).toBeUndefined();
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs('-1', now)).toBeUndefined();
  });
});

describe('backoffDelay', () => {
  it('is a random time under base · 2^retry, capped', () => {
    const policy = { baseDelayMs: 100, maxDelayMs: 1_000 };
    expect([0, 1, 2, 3, 10].map((retry) => backoffDelay(retry, policy, () => 0.999))).toEqual([99, 199, 399, 799, 999]);
    expect(backoffDelay(5, policy, () => 0)).toBe(0);
  });
});
