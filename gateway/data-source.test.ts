/**
 * A subgraph call through SignedContextDataSource against a local server that answers, fails,
 * refuses or hangs on demand: what counts against the subgraph's circuit, what the caller is
 * told, and that an open circuit does not touch the network.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../lib/http/circuit-breaker.js';
import type { ContextSigner } from '../lib/tenant-context.js';
import { SignedContextDataSource, type SubgraphCalls } from './data-source.js';

type Mode = 'ok' | 'fail' | 'hang' | 'refuse-context';
let mode: Mode = 'ok';
let hits = 0;
let server: http.Server;
let url: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    hits += 1;
    req.resume();
    if (mode === 'hang') return;
    if (mode === 'fail') return void res.writeHead(500, { 'content-type': 'application/json' }).end('{"errors":[{"message":"db down"}]}');
    if (mode === 'refuse-context') return void res.writeHead(401, { 'content-type': 'application/json' }).end('{"errors":[{"message":"no context"}]}');
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"data":{"a":1}}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  mode = 'ok';
  hits = 0;
});

const signer = { sign: async () => 'signed' } as unknown as ContextSigner;

function source(options: { timeoutMs?: number; threshold?: number; coolDownMs?: number } = {}) {
  const warnings: unknown[] = [];
  const calls: SubgraphCalls = {
    timeoutMs: options.timeoutMs ?? 2_000,
    breaker: new CircuitBreaker({ failureThreshold: options.threshold ?? 2, coolDownMs: options.coolDownMs ?? 60_000 }),
    logger: { warn: (fields: unknown) => void warnings.push(fields) } as never,
  };
  const dataSource = new SignedContextDataSource('observability', url, signer, calls);
  const call = (signal?: AbortSignal) =>
    dataSource.process({
      kind: 'incoming operation',
      request: { query: '{ a }' },
      context: { tenant: { requestId: 'req-1' }, signedContexts: new Map(), signal },
      incomingRequestContext: {},
      pathInIncomingRequest: [],
    } as never);
  return { call, breaker: calls.breaker, warnings };
}

type Answer = { data?: unknown; errors?: { message: string; path?: unknown[]; extensions?: Record<string, unknown> }[] };

/** What a call failed with ('answered' when it did not fail). */
const failure = (promise: Promise<unknown>) => promise.then(() => 'answered', (error: unknown) => error);
/** The codes of the errors a call was answered with. */
const codes = async (promise: Promise<unknown>) => ((await promise) as Answer).errors?.map((error) => error.extensions?.code);

describe('SignedContextDataSource', () => {
  it('passes an answer through and keeps the circuit closed', async () => {
    const { call, breaker } = source();
    await expect(call()).resolves.toMatchObject({ data: { a: 1 } });
    expect(breaker.state).toBe('closed');
  });

  it('gives up on a subgraph that never answers after its own timeout: SUBGRAPH_UNAVAILABLE at the field, with the request id only', async () => {
    mode = 'hang';
    const { call, warnings } = source({ timeoutMs: 150 });
    const started = performance.now();
    const answer = (await call()) as Answer;
    const elapsed = performance.now() - started;
    expect(answer).toEqual({ errors: [{ message: expect.any(String) as unknown, path: ['a'], extensions: { code: 'SUBGRAPH_UNAVAILABLE', requestId: 'req-1' } }] });
    expect(JSON.stringify(answer)).not.toMatch(/127\.0\.0\.1|observability|within/);
    expect(elapsed).toBeGreaterThanOrEqual(140);
    expect(elapsed).toBeLessThan(1_500);
    expect(warnings).toEqual([{ subgraph: 'observability', err: expect.objectContaining({ message: expect.stringContaining('within 150 ms') as unknown }) as unknown }]);
  });

  it('opens the circuit after the threshold of 5xx answers, then fails fast without a request and without a log line per call', async () => {
    mode = 'fail';
    const { call, breaker, warnings } = source({ threshold: 2 });
    for (let i = 0; i < 2; i += 1) expect(await codes(call())).toEqual(['SUBGRAPH_UNAVAILABLE']);
    expect(breaker.state).toBe('open');
    expect(hits).toBe(2);
    mode = 'ok';
    for (let i = 0; i < 5; i += 1) expect(await codes(call())).toEqual(['SUBGRAPH_UNAVAILABLE']);
    expect(hits).toBe(2);
    expect(warnings).toHaveLength(2);
  });

  it('uses the subgraph again after the cool-down: one trial call, whose success closes the circuit', async () => {
    mode = 'fail';
    const { call, breaker } = source({ threshold: 1, coolDownMs: 100 });
    await call();
    expect(breaker.state).toBe('open');
    mode = 'ok';
    await new Promise((resolve) => setTimeout(resolve, 120));
    await expect(call()).resolves.toMatchObject({ data: { a: 1 } });
    expect(breaker.state).toBe('closed');
  });

  it('does not count a 4xx answer (the subgraph is up) and leaves its error as it was', async () => {
    mode = 'refuse-context';
    const { call, breaker } = source({ threshold: 1 });
    const error = await failure(call());
    expect((error as { extensions?: { code?: unknown } }).extensions?.code).toBe('UNAUTHENTICATED');
    expect(breaker.snapshot()).toMatchObject({ state: 'closed', consecutiveFailures: 0 });
  });

  it('does not count a call cut short by the request deadline, and rethrows the abort as it is', async () => {
    mode = 'hang';
    const { call, breaker } = source({ threshold: 1 });
    const controller = new AbortController();
    const pending = failure(call(controller.signal));
    setTimeout(() => controller.abort(new Error('deadline')), 50);
    const error = await pending;
    expect(error).toMatchObject({ message: 'deadline' });
    expect(breaker.snapshot()).toMatchObject({ state: 'closed', consecutiveFailures: 0 });
  });
});
