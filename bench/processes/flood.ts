/**
 * Child process: a flood at a fixed rate. Unlike the load generator (a fixed number of
 * connections, each waiting for its answer), it sends one request every 1/rate seconds whether
 * or not the earlier ones were answered — an open loop, as a client that ignores `Retry-After`
 * does — first for a lead-in whose figures are discarded, then for the measured run, and sorts
 * every answer into served, refused (429 RATE_LIMITED) or failed (anything else: another
 * status, GraphQL errors, a timeout, a connection error).
 */
import http from 'node:http';
import { isCleanAnswer, isRateLimitRefusal } from './answers.js';
import { serveChild } from './serve.js';

export interface FloodJob {
  url: string;
  headers: Record<string, string>;
  body: string;
  /** Requests sent per second, evenly spaced. */
  ratePerSecond: number;
  /** Seconds sent before the measured run (not counted). */
  leadInSeconds: number;
  durationSeconds: number;
}

export interface FloodFigures {
  /** Requests sent during the measured run. */
  sent: number;
  /** Seconds from the first to the last measured send, plus one interval. */
  seconds: number;
  /** Answered 2xx without errors. */
  served: number;
  /** Answered 429 RATE_LIMITED. */
  rateLimited: number;
  /** Anything else: other statuses, GraphQL errors, timeouts, connection errors. */
  failed: number;
  /** Not sent because `MAX_IN_FLIGHT` requests were still unanswered (the gateway fell behind). */
  skipped: number;
  /** Latency of the refusals and of the served requests. */
  refusedLatencyMs: { p50: number | null; p99: number | null };
  servedLatencyMs: { p50: number | null; p99: number | null };
  /** Up to five failures, for the log. */
  failureSamples: string[];
}

/** The parent starts its own measured run when this arrives. */
export type FloodEvent = { phase: 'measure' };

const MAX_IN_FLIGHT = 256;
const TIMEOUT_MS = 10_000;

interface Tally {
  sent: number;
  served: number;
  rateLimited: number;
  failed: number;
  skipped: number;
  refused: number[];
  servedMs: number[];
  failures: string[];
  firstSend?: number;
  lastSend?: number;
}

const newTally = (): Tally => ({ sent: 0, served: 0, rateLimited: 0, failed: 0, skipped: 0, refused: [], servedMs: [], failures: [] });

serveChild<{ pid: number }>(async () => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: MAX_IN_FLIGHT });
  return {
    ready: { pid: process.pid },
    close: async () => agent.destroy(),
    job: (payload, emit) => flood(payload as FloodJob, agent, emit),
  };
});

async function flood(job: FloodJob, agent: http.Agent, emit: (event: FloodEvent) => void): Promise<FloodFigures> {
  const target = new URL(job.url);
  const body = Buffer.from(job.body);
  const headers = { 'content-type': 'application/json', 'content-length': String(body.length), ...job.headers };
  const intervalMs = 1000 / job.ratePerSecond;
  const leadIn = Math.round(job.leadInSeconds * job.ratePerSecond);
  const total = leadIn + Math.max(1, Math.round(job.durationSeconds * job.ratePerSecond));
  const discarded = newTally();
  const measured = newTally();
  let inFlight = 0;
  let settle: (() => void) | undefined;

  const send = (tally: Tally) => {
    if (inFlight >= MAX_IN_FLIGHT) {
      tally.skipped++;
      return;
    }
    inFlight++;
    tally.sent++;
    const started = performance.now();
    tally.firstSend ??= started;
    tally.lastSend = started;
    let finished = false;
    const done = (status: number | undefined, text: string) => {
      if (finished) return;
      finished = true;
      inFlight--;
      const ms = performance.now() - started;
      if (status !== undefined && isRateLimitRefusal(status, text)) {
        tally.rateLimited++;
        tally.refused.push(ms);
      } else if (status !== undefined && isCleanAnswer(status, text)) {
        tally.served++;
        tally.servedMs.push(ms);
      } else {
        tally.failed++;
        if (tally.failures.length < 5) tally.failures.push(`${status ?? 'no answer'}: ${text.slice(0, 200)}`);
      }
      if (inFlight === 0) settle?.();
    };
    const request = http.request(
      { host: target.hostname, port: target.port, path: `${target.pathname}${target.search}`, method: 'POST', headers, agent, timeout: TIMEOUT_MS },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => done(response.statusCode, Buffer.concat(chunks).toString('utf8')));
        response.on('error', (error) => done(undefined, error.message));
      },
    );
    request.on('timeout', () => request.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)));
    request.on('error', (error) => done(undefined, error.message));
    request.end(body);
  };

  // Every request has its due time from the start; a late timer catches up, so the rate holds.
  await new Promise<void>((resolve) => {
    const start = performance.now();
    let next = 0;
    const tick = () => {
      const due = Math.min(total, Math.floor((performance.now() - start) / intervalMs) + 1);
      while (next < due) {
        if (next === leadIn) emit({ phase: 'measure' });
        send(next < leadIn ? discarded : measured);
        next++;
      }
      if (next >= total) {
        clearInterval(timer);
        resolve();
      }
    };
    const timer = setInterval(tick, Math.max(1, Math.floor(intervalMs / 4)));
    tick();
  });
  // The last answers (each bounded by its timeout).
  if (inFlight > 0) await new Promise<void>((resolve) => (settle = resolve));

  return {
    sent: measured.sent,
    seconds: measured.firstSend === undefined ? 0 : (measured.lastSend! - measured.firstSend + intervalMs) / 1000,
    served: measured.served,
    rateLimited: measured.rateLimited,
    failed: measured.failed,
    skipped: measured.skipped,
    refusedLatencyMs: percentiles(measured.refused),
    servedLatencyMs: percentiles(measured.servedMs),
    failureSamples: measured.failures,
  };
}

function percentiles(values: number[]): { p50: number | null; p99: number | null } {
  if (values.length === 0) return { p50: null, p99: null };
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
  return { p50: at(0.5), p99: at(0.99) };
}
