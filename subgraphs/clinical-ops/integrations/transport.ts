/**
 * The one way a connector reaches its system (docs/integrations.md, *Outcomes*): the tenant's
 * mapping (cached), its circuit breaker (per connector × tenant), the call bounded by the
 * mapping's timeout, the answer classified into an outcome, and the outcome counted for the
 * telemetry. Every connector builds its request and reads its answer; everything between is here,
 * so the five systems fail in one way each.
 *
 * Nothing the remote system does makes a call throw: a refused request is `rejected`, a failure
 * `retryable`, and an answer that does not match the wire contract `retryable: malformed_response`.
 * Messages name the connector and the HTTP status or error code, never a payload or a body (they
 * carry PHI), and never the endpoint (a tenant's URL is its own business).
 */
import { performance } from 'node:perf_hooks';
import type { z } from 'zod';
import { createKeepAliveFetcher } from '../../../lib/http/keep-alive-fetcher.js';
import { CircuitOpenError, type CircuitBreakerRegistry } from '../../../lib/http/circuit-breaker.js';
import { isUuid } from '../../../lib/ids.js';
import type { Logger } from '../../../lib/logger.js';
import type { ConnectorKind, ConnectorOutcome } from './contract.js';
import { LIMITS, type EffectiveMapping } from './mapping.js';
import type { MappingSource } from './mapping-store.js';

/** What the telemetry is told of each call (telemetry.ts); it must neither block nor throw. */
export interface OutcomeSink {
  record(tenantId: string, connector: ConnectorKind, outcome: ConnectorOutcome<unknown>): void;
}

export interface TransportOptions {
  mappings: MappingSource;
  breakers: CircuitBreakerRegistry;
  /** The platform's endpoint (SIMULATORS_URL), for tenants whose mapping names none. */
  baseUrl: string;
  outcomes?: OutcomeSink;
  logger?: Logger;
  /** Largest answer accepted (default 1 MB): a larger one is `malformed_response`. */
  maxResponseBytes?: number;
}

/** The request a connector sends, built from its payload and the tenant's mapping. */
export interface RemoteRequest {
  method: 'GET' | 'POST';
  /** Below the endpoint, starting with `/` (`/payers/P1/claims`); segments already encoded. */
  path: string;
  body?: unknown;
  idempotencyKey?: string;
  headers?: Record<string, string>;
  /** Non-2xx statuses the connector reads itself (a lookup's 404) instead of the default mapping. */
  reads?: readonly number[];
}

/** An answer as the connector reads it: the status, the body parsed as JSON (undefined when it is not JSON). */
export interface RemoteAnswer {
  status: number;
  body: unknown;
  headers: { get(name: string): string | null };
}

/** An outcome before its latency is known. */
export type Verdict<B> = DistributiveOmit<ConnectorOutcome<B>, 'latencyMs'>;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** What a connector makes of the payload: a request to send, or a refusal without sending anything. */
export type Prepared = RemoteRequest | { refuse: { code: string; message: string } };

/** One call as a connector describes it. */
export interface CallSpec<B> {
  connector: ConnectorKind;
  tenantId: string;
  signal?: AbortSignal;
  prepare(mapping: EffectiveMapping): Prepared;
  /** Reads a 2xx answer (or one of `reads`). */
  interpret(answer: RemoteAnswer, mapping: EffectiveMapping): Verdict<B>;
}

/** The names of the 4xx statuses a rejection's code gives. */
const REFUSALS: Readonly<Record<number, string>> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  410: 'gone',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'unprocessable',
};

/** Thrown into the breaker for a failure it must count; carries the verdict the caller gets. */
class CountedFailure extends Error {
  constructor(readonly verdict: Verdict<never>) {
    super(verdict.kind === 'retryable' ? verdict.message : 'failure');
  }
}
/** Thrown into the breaker for a call its caller gave up: no news of the system, not counted. */
class GivenUp extends Error {
  readonly verdict: Verdict<never>;
  constructor(connector: ConnectorKind) {
    super('given up');
    this.verdict = { kind: 'retryable', reason: 'timeout', message: `${connector}: the call was given up by its caller` };
  }
}
/** The reason a call past its timeout is aborted with. */
class TimedOut extends Error {}

const ALLOWED_IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

export class Transport {
  private readonly fetch: ReturnType<typeof createKeepAliveFetcher>;

  constructor(private readonly options: TransportOptions) {
    // The fetcher's own bound is a backstop above every mapping's timeout; each call is cut at its own.
    this.fetch = createKeepAliveFetcher({ timeoutMs: LIMITS.timeoutMs.max + 1_000, maxResponseBytes: options.maxResponseBytes ?? 1024 * 1024 });
  }

  /** Makes one call; answers its outcome, never throws for anything the remote system does. */
  async call<B>(spec: CallSpec<B>): Promise<ConnectorOutcome<B>> {
    const started = performance.now();
    const verdict = await this.verdictOf(spec);
    const outcome = { ...verdict, latencyMs: Math.max(0, Math.round(performance.now() - started)) } as ConnectorOutcome<B>;
    if (isUuid(spec.tenantId)) {
      try {
        this.options.outcomes?.record(spec.tenantId.toLowerCase(), spec.connector, outcome);
      } catch (error) {
        // Counting must never cost the call: a fault here is logged, the outcome still goes back.
        this.options.logger?.error({ connector: spec.connector, err: { message: (error as Error).message } }, 'integration outcome not counted');
      }
    }
    return outcome;
  }

  private async verdictOf<B>(spec: CallSpec<B>): Promise<Verdict<B>> {
    const { connector, tenantId } = spec;
    if (!isUuid(tenantId)) return { kind: 'rejected', code: 'invalid_payload', message: `${connector}: tenantId must be a tenant id (UUID)` };
    let mapping: EffectiveMapping;
    try {
      mapping = await this.options.mappings.mappingOf(tenantId, connector);
    } catch {
      return { kind: 'retryable', reason: 'unreachable', message: `${connector}: the tenant's integration mapping could not be read` };
    }
    if (!mapping.enabled) return { kind: 'rejected', code: 'connector_disabled', message: `${connector} is disabled for this tenant` };
    const prepared = spec.prepare(mapping);
    if ('refuse' in prepared) return { kind: 'rejected', ...prepared.refuse };
    if (prepared.idempotencyKey !== undefined && !ALLOWED_IDEMPOTENCY_KEY.test(prepared.idempotencyKey)) {
      return { kind: 'rejected', code: 'invalid_payload', message: `${connector}: idempotencyKey must be 1–255 visible ASCII characters` };
    }
    const breaker = this.options.breakers.get(`${connector}:${mapping.tenantId}`, mapping.breaker);
    try {
      return await breaker.run(
        async () => {
          const verdict = await this.attempt(spec, prepared, mapping);
          if (verdict.kind === 'retryable') throw new CountedFailure(verdict);
          return verdict;
        },
        (error) => (error instanceof GivenUp ? 'ignored' : 'failure'),
      );
    } catch (error) {
      if (error instanceof CircuitOpenError) {
        return { kind: 'retryable', reason: 'circuit_open', message: `${connector}: the circuit is open after repeated failures; not called` };
      }
      if (error instanceof CountedFailure || error instanceof GivenUp) return error.verdict;
      throw error;
    }
  }

  /** Sends the request within the mapping's timeout and classifies what came back. */
  private async attempt<B>(spec: CallSpec<B>, request: RemoteRequest, mapping: EffectiveMapping): Promise<Verdict<B>> {
    const { connector, signal } = spec;
    if (signal?.aborted) throw new GivenUp(connector);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new TimedOut()), mapping.timeoutMs);
    const onAbort = () => controller.abort(new GivenUp(connector));
    signal?.addEventListener('abort', onAbort, { once: true });
    const base = (mapping.baseUrl ?? this.options.baseUrl).replace(/\/+$/, '');
    const headers: Record<string, string> = { accept: 'application/json', ...request.headers };
    if (request.body !== undefined) headers['content-type'] = 'application/json';
    if (request.idempotencyKey !== undefined) headers['idempotency-key'] = request.idempotencyKey;
    let answer: RemoteAnswer;
    try {
      const response = await this.fetch(`${base}${request.path}`, {
        method: request.method,
        headers,
        body: request.body === undefined ? undefined : JSON.stringify(request.body),
        signal: controller.signal,
      });
      answer = { status: response.status, body: parseJson(await response.text()), headers: response.headers };
    } catch (error) {
      if (error instanceof GivenUp) throw error;
      if (error instanceof TimedOut) return { kind: 'retryable', reason: 'timeout', message: `${connector} did not answer within ${mapping.timeoutMs} ms` };
      if (/exceeds \d+ bytes/.test((error as Error).message)) return { kind: 'retryable', reason: 'malformed_response', message: `${connector} answered more than the largest answer accepted` };
      const code = (error as { code?: unknown }).code;
      return { kind: 'retryable', reason: 'unreachable', message: `${connector} could not be reached${typeof code === 'string' && /^[A-Z_]{2,30}$/.test(code) ? ` (${code})` : ''}` };
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
    if ((answer.status >= 200 && answer.status < 300) || request.reads?.includes(answer.status)) return spec.interpret(answer, mapping);
    return statusVerdict(connector, answer.status);
  }
}

/** The default outcome of a status a connector does not read itself. */
export function statusVerdict(connector: ConnectorKind, status: number): Verdict<never> {
  // Throttled or timed out on the system's side: the same request may well work later.
  if (status === 429) return { kind: 'retryable', reason: 'server_error', message: `${connector} is throttling requests (HTTP 429)` };
  if (status === 408) return { kind: 'retryable', reason: 'timeout', message: `${connector} timed the request out (HTTP 408)` };
  if (status >= 500) return { kind: 'retryable', reason: 'server_error', message: `${connector} failed (HTTP ${status})` };
  if (status >= 400) return { kind: 'rejected', code: REFUSALS[status] ?? `http_${status}`, message: `${connector} refused the request (HTTP ${status})` };
  return { kind: 'rejected', code: `http_${status}`, message: `${connector} answered an unexpected HTTP ${status}` };
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * The body checked against its wire schema: the data, or `retryable: malformed_response` naming
 * where it went wrong (a path such as `benefits.0.amount`, never a value).
 */
export function readBody<S extends z.ZodType>(connector: ConnectorKind, schema: S, body: unknown): { data: z.infer<S> } | { verdict: Verdict<never> } {
  if (body === undefined) return { verdict: { kind: 'retryable', reason: 'malformed_response', message: `${connector} answered no JSON body` } };
  const parsed = schema.safeParse(body);
  if (parsed.success) return { data: parsed.data };
  const where = parsed.error.issues[0]?.path.map(String).join('.') || 'the body';
  return { verdict: { kind: 'retryable', reason: 'malformed_response', message: `${connector} answered a body that does not match the wire contract (at ${where})` } };
}

/** A refusal of a payload the connector cannot send, naming the field (never its value). */
export function invalidPayload(connector: ConnectorKind, error: z.ZodError): Prepared {
  const where = error.issues[0]?.path.map(String).join('.') || 'payload';
  return { refuse: { code: 'invalid_payload', message: `${connector}: payload.${where} is missing or invalid` } };
}

/** A path segment, encoded. */
export const segment = (value: string): string => encodeURIComponent(value);
