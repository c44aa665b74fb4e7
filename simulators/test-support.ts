/**
 * The simulators started in the test process on a free port, with a small client: what every
 * simulators test (and a connector's test) needs to talk to them over real HTTP.
 */
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { loadConfig } from '../lib/config.js';
import type { RunningService } from '../lib/services.js';
import { start, type SimulatorsOptions } from './index.js';

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON; undefined when it is not JSON. */
  body: unknown;
}

export interface CallOptions {
  body?: unknown;
  /** Sent as Idempotency-Key. */
  key?: string;
  headers?: Record<string, string>;
  /** Raw body text, sent as is (JSON that does not parse). */
  raw?: string;
  signal?: AbortSignal;
}

export interface TestSimulators {
  url: string;
  service: RunningService;
  call(method: string, path: string, options?: CallOptions): Promise<Reply>;
  /** PUT /admin/knobs; throws unless accepted. */
  setKnobs(knobs: unknown): Promise<void>;
  /** GET /admin/stats. */
  stats(): Promise<Record<string, Record<string, unknown> & { requests: number; outcomes: Record<string, number> }>>;
  close(): Promise<void>;
}

/** Starts the simulators with `env` as their whole environment (no variable of the caller's leaks in). */
export async function startTestSimulators(env: Record<string, string> = {}, options: Omit<SimulatorsOptions, 'config'> = {}): Promise<TestSimulators> {
  const service = await start({ config: loadConfig({ LOG_LEVEL: 'silent', SHUTDOWN_GRACE_MS: '1000', ...env }), port: 0, ...options });
  const call = async (method: string, path: string, request: CallOptions = {}): Promise<Reply> => {
    const headers: Record<string, string> = { ...request.headers };
    if (request.key !== undefined) headers['idempotency-key'] = request.key;
    let payload: string | undefined = request.raw;
    if (request.body !== undefined) {
      payload = JSON.stringify(request.body);
      headers['content-type'] = 'application/json';
    }
    const response = await fetch(`${service.url}${path}`, { method, headers, body: payload, signal: request.signal });
    const text = await response.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    return { status: response.status, headers: response.headers, text, body };
  };
  return {
    url: service.url,
    service,
    call,
    async setKnobs(knobs) {
      const reply = await call('PUT', '/admin/knobs', { body: knobs });
      if (reply.status !== 200) throw new Error(`knobs refused: ${reply.text}`);
    },
    async stats() {
      return (await call('GET', '/admin/stats')).body as Awaited<ReturnType<TestSimulators['stats']>>;
    },
    close: () => service.close(),
  };
}

/**
 * The simulators for the tests of one file (call it at the top of a describe): started before
 * them, reset (knobs, receipts, counts) before each, closed after all.
 */
export function useTestSimulators(env: Record<string, string> = {}, options: Omit<SimulatorsOptions, 'config'> = {}): TestSimulators {
  let started: TestSimulators | undefined;
  const current = () => {
    if (!started) throw new Error('the simulators start in beforeAll: use them inside a test');
    return started;
  };
  beforeAll(async () => {
    started = await startTestSimulators(env, options);
  });
  beforeEach(async () => {
    await current().call('POST', '/admin/reset');
  });
  afterAll(() => started?.close());
  return {
    get url() {
      return current().url;
    },
    get service() {
      return current().service;
    },
    call: (method, path, request) => current().call(method, path, request),
    setKnobs: (knobs) => current().setKnobs(knobs),
    stats: () => current().stats(),
    close: () => current().close(),
  };
}
