/**
 * The call pipeline every connector shares, against a fake pharmacy (the simplest route): each
 * HTTP behaviour of a remote system becomes its outcome, the tenant's timeout bounds the call,
 * the breaker per connector × tenant opens and fails fast without touching the network while
 * another tenant's stays closed, and counting the outcome can never cost the call.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CircuitBreakerRegistry } from '../../../lib/http/circuit-breaker.js';
import type { ConnectorKind, ConnectorOutcome } from './contract.js';
import { FakeSystems, MemoryMappings } from './fake-systems.js';
import { createPharmacyConnector } from './pharmacy.js';
import { Transport, type OutcomeSink } from './transport.js';

let remote: FakeSystems;
let mappings: MemoryMappings;
let breakers: CircuitBreakerRegistry;
let recorded: { tenantId: string; connector: ConnectorKind; outcome: ConnectorOutcome<unknown> }[];
let sink: OutcomeSink;
const tenant: string = randomUUID();
const otherTenant: string = randomUUID();

const pharmacy = (options: { baseUrl?: string } = {}) =>
  createPharmacyConnector(new Transport({ mappings, breakers, baseUrl: options.baseUrl ?? remote.url, outcomes: sink }));
const status = (tenantId = tenant, prescriptionId = 'RX-1', signal?: AbortSignal) =>
  pharmacy().call({ tenantId, idempotencyKey: `rx:${prescriptionId}`, payload: { prescriptionId }, signal });

beforeAll(async () => {
  remote = await FakeSystems.start();
});
afterAll(() => remote.close());
beforeEach(() => {
  remote.reset();
  mappings = new MemoryMappings();
  breakers = new CircuitBreakerRegistry();
  recorded = [];
  sink = { record: (tenantId, connector, outcome) => recorded.push({ tenantId, connector, outcome }) };
});

describe('outcomes', () => {
  it('answers accepted with the body and the latency, and counts it', async () => {
    const outcome = await status();
    expect(outcome).toMatchObject({ kind: 'accepted', body: { prescriptionId: 'RX-1', status: 'ready' } });
    expect(outcome.latencyMs).toBeGreaterThanOrEqual(0);
    expect(remote.received('GET', '/pharmacy/prescriptions/RX-1')).toHaveLength(1);
    expect(recorded).toEqual([{ tenantId: tenant, connector: 'pharmacy', outcome }]);
  });

  it.each([
    [400, 'bad_request'],
    [401, 'unauthorized'],
    [404, 'not_found'],
    [409, 'conflict'],
    [422, 'unprocessable'],
    [418, 'http_418'],
  ])('answers a %i as rejected (%s), final', async (code, name) => {
    remote.next('GET', '/pharmacy', { status: code, body: { detail: 'Jane Doe, born 1970-01-01, is not ours' } });
    const outcome = await status();
    expect(outcome).toMatchObject({ kind: 'rejected', code: name, message: `pharmacy refused the request (HTTP ${code})` });
    // Nothing of the remote's body (which may carry PHI) reaches the outcome.
    expect(JSON.stringify(outcome)).not.toContain('Jane');
  });

  it.each([
    [500, 'server_error'],
    [503, 'server_error'],
    [429, 'server_error'],
    [408, 'timeout'],
  ])('answers a %i as retryable (%s)', async (code, reason) => {
    remote.next('GET', '/pharmacy', { status: code });
    expect(await status()).toMatchObject({ kind: 'retryable', reason });
  });

  it('answers a body that is not JSON, or not of the contract, as retryable malformed_response, naming where', async () => {
    remote.next('GET', '/pharmacy', { status: 200, raw: '<html>gateway</html>' }, { status: 200, body: { id: 'RX-1', status: 'lost' } }, { status: 200 });
    expect(await status()).toMatchObject({ kind: 'retryable', reason: 'malformed_response', message: 'pharmacy answered no JSON body' });
    expect(await status()).toMatchObject({ kind: 'retryable', reason: 'malformed_response', message: expect.stringContaining('(at status)') as unknown });
    expect(await status()).toMatchObject({ kind: 'retryable', reason: 'malformed_response' });
  });

  it('cuts a call at the tenant’s timeout: retryable timeout', async () => {
    mappings.set(tenant, 'pharmacy', { timeout_ms: 150 });
    remote.next('GET', '/pharmacy', 'hang');
    const started = Date.now();
    const outcome = await status();
    expect(outcome).toMatchObject({ kind: 'retryable', reason: 'timeout', message: 'pharmacy did not answer within 150 ms' });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(outcome.latencyMs).toBeGreaterThanOrEqual(140);
  });

  it('answers a dropped connection, and a refused one, as retryable unreachable', async () => {
    remote.next('GET', '/pharmacy', 'drop');
    expect(await status()).toMatchObject({ kind: 'retryable', reason: 'unreachable' });
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const outcome = await pharmacy({ baseUrl: `http://127.0.0.1:${port}` }).call({ tenantId: tenant, idempotencyKey: 'k', payload: { prescriptionId: 'RX-1' } });
    expect(outcome).toMatchObject({ kind: 'retryable', reason: 'unreachable', message: 'pharmacy could not be reached (ECONNREFUSED)' });
  });

  it('calls the tenant’s own endpoint when its mapping names one, without telling it in the outcome', async () => {
    const own = await FakeSystems.start();
    try {
      mappings.set(tenant, 'pharmacy', { base_url: `${own.url}/tenant-pharmacy` });
      own.always('GET', '/tenant-pharmacy/pharmacy/prescriptions/RX-1', { status: 200, body: { id: 'RX-1', status: 'filled' } });
      const outcome = await status();
      expect(outcome).toMatchObject({ kind: 'accepted', body: { status: 'filled' } });
      expect(own.received('GET', '/tenant-pharmacy/pharmacy/prescriptions/RX-1')).toHaveLength(1);
      expect(remote.requests).toHaveLength(0);
      expect(JSON.stringify(outcome)).not.toContain(own.url);
    } finally {
      await own.close();
    }
  });

  it('refuses without calling: a disabled connector, an invalid payload, a tenant id that is none', async () => {
    mappings.set(tenant, 'pharmacy', { enabled: false });
    expect(await status()).toMatchObject({ kind: 'rejected', code: 'connector_disabled' });
    expect(await status(otherTenant, 'RX 1 with spaces')).toMatchObject({ kind: 'rejected', code: 'invalid_payload', message: 'pharmacy: payload.prescriptionId is missing or invalid' });
    expect(await status('tenant-a')).toMatchObject({ kind: 'rejected', code: 'invalid_payload' });
    expect(remote.requests).toHaveLength(0);
  });

  it('answers retryable when the tenant’s mapping cannot be read', async () => {
    mappings.failing = true;
    expect(await status()).toMatchObject({ kind: 'retryable', reason: 'unreachable', message: "pharmacy: the tenant's integration mapping could not be read" });
    expect(remote.requests).toHaveLength(0);
  });

  it('answers retryable timeout when the caller gives the call up, and its breaker does not count it', async () => {
    mappings.set(tenant, 'pharmacy', { breaker_failure_threshold: 1 });
    remote.next('GET', '/pharmacy', 'hang');
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    expect(await status(tenant, 'RX-1', controller.signal)).toMatchObject({ kind: 'retryable', reason: 'timeout', message: 'pharmacy: the call was given up by its caller' });
    expect(breakers.snapshot(`pharmacy:${tenant}`)).toMatchObject({ state: 'closed', windowFailures: 0 });
    expect(await status()).toMatchObject({ kind: 'accepted' });
  });

  it('returns the outcome even when counting it fails', async () => {
    sink = {
      record() {
        throw new Error('the counter is broken');
      },
    };
    expect(await status()).toMatchObject({ kind: 'accepted' });
  });
});

describe('circuit breakers per connector × tenant', () => {
  it('open after the tenant’s threshold of failures, then answer circuit_open without a request, and leave another tenant’s circuit closed', async () => {
    mappings.set(tenant, 'pharmacy', { breaker_failure_threshold: 3, breaker_cool_down_ms: 60_000 });
    remote.always('GET', '/pharmacy/prescriptions/FAIL', { status: 503 });
    for (let i = 0; i < 3; i += 1) expect(await status(tenant, 'FAIL')).toMatchObject({ kind: 'retryable', reason: 'server_error' });
    expect(remote.requests).toHaveLength(3);
    const refused = await status(tenant, 'RX-1');
    expect(refused).toMatchObject({ kind: 'retryable', reason: 'circuit_open' });
    expect(refused.latencyMs).toBeLessThan(50);
    expect(remote.requests).toHaveLength(3);
    // The other tenant's pharmacy calls are its own: its circuit is closed, its call goes out.
    expect(await status(otherTenant, 'RX-1')).toMatchObject({ kind: 'accepted' });
    expect(breakers.snapshot(`pharmacy:${otherTenant}`)).toMatchObject({ state: 'closed' });
    expect(recorded.map((entry) => entry.outcome.kind)).toEqual(['retryable', 'retryable', 'retryable', 'retryable', 'accepted']);
  });

  it('count timeouts and malformed answers as failures, rejections as answers', async () => {
    mappings.set(tenant, 'pharmacy', { breaker_failure_threshold: 2, timeout_ms: 100 });
    remote.next('GET', '/pharmacy', { status: 404 }, { status: 404 }, { status: 404 });
    for (let i = 0; i < 3; i += 1) expect((await status()).kind).toBe('rejected');
    expect(breakers.snapshot(`pharmacy:${tenant}`)).toMatchObject({ state: 'closed' });
    remote.next('GET', '/pharmacy', 'hang', { status: 200, raw: 'not json' });
    expect(await status()).toMatchObject({ reason: 'timeout' });
    expect(await status()).toMatchObject({ reason: 'malformed_response' });
    expect(await status()).toMatchObject({ reason: 'circuit_open' });
  });

  it('let one trial through after the cool-down; its success closes the circuit', async () => {
    mappings.set(tenant, 'pharmacy', { breaker_failure_threshold: 1, breaker_cool_down_ms: 100 });
    remote.next('GET', '/pharmacy', { status: 503 });
    expect(await status()).toMatchObject({ reason: 'server_error' });
    expect(await status()).toMatchObject({ reason: 'circuit_open' });
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(await status()).toMatchObject({ kind: 'accepted' });
    expect(breakers.snapshot(`pharmacy:${tenant}`)).toMatchObject({ state: 'closed' });
  });
});
