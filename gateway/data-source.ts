/**
 * How the gateway talks to a subgraph: the signed tenant context rides on every request,
 * addressed to that subgraph only and bound to the request id sent beside it, over
 * keep-alive connections — and every call is bounded by the subgraph's own timeout and goes
 * through its circuit breaker (docs/architecture.md, *Timeouts and circuit breakers*).
 *
 * A call that fails for want of the subgraph (no answer within its timeout, a connection
 * error, a 5xx answer, or an open circuit that does not even try) costs that subgraph's part
 * of the plan only: its fields come back null, each with a SUBGRAPH_UNAVAILABLE error at its
 * path carrying the request id, while the rest of the answer goes out. What failed, and where,
 * goes to the log, never to the caller.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { Fetcher } from '@apollo/utils.fetcher';
import { parse } from 'graphql';
import { SUBGRAPH_NAMES, type Config, type SubgraphName } from '../lib/config.js';
import { SubgraphUnavailableError } from '../lib/errors.js';
import { CircuitBreaker, CircuitOpenError } from '../lib/http/circuit-breaker.js';
import { createKeepAliveFetcher } from '../lib/http/keep-alive-fetcher.js';
import type { Logger } from '../lib/logger.js';
import { CONTEXT_HEADER, REQUEST_ID_HEADER, type ContextSigner } from '../lib/tenant-context.js';
import type { GatewayContext } from './context.js';
import { unavailableFieldErrors } from './unavailable-fields.js';

/**
 * The abort signal of the client request a subgraph fetch serves. RemoteGraphQLDataSource
 * builds the fetch options itself, so the signal rides in async context from `process`.
 */
const requestSignal = new AsyncLocalStorage<AbortSignal>();

/** How the gateway calls one subgraph: the bound of each call, and the breaker every call passes. */
export interface SubgraphCalls {
  timeoutMs: number;
  breaker: CircuitBreaker;
  logger: Pick<Logger, 'warn'>;
}

/**
 * The call settings of every subgraph, from the configuration: one breaker each, which logs
 * when it opens and when it closes again — not each call it refuses, which under load would be
 * one line per request.
 */
export function subgraphCalls(config: Config, logger: Pick<Logger, 'warn' | 'info'>): Record<SubgraphName, SubgraphCalls> {
  const { timeoutMs, breakerThreshold, breakerCoolDownMs } = config.subgraphCalls;
  return Object.fromEntries(
    SUBGRAPH_NAMES.map((subgraph) => {
      const breaker = new CircuitBreaker({
        failureThreshold: breakerThreshold,
        coolDownMs: breakerCoolDownMs,
        onStateChange: ({ from, to, error }) => {
          if (from === 'closed' && to === 'open') {
            logger.warn(
              { subgraph, failures: breakerThreshold, coolDownMs: breakerCoolDownMs, err: errorFields(error) },
              'subgraph circuit opened: its fields fail fast, with one trial call per cool-down',
            );
          } else if (to === 'closed') {
            logger.info({ subgraph }, 'subgraph circuit closed: the trial call succeeded');
          }
        },
      });
      return [subgraph, { timeoutMs: timeoutMs[subgraph], breaker, logger }];
    }),
  ) as Record<SubgraphName, SubgraphCalls>;
}

/** A call that failed for want of the subgraph itself; `cause` says how (an open circuit's refusal included). */
class SubgraphCallFailed extends Error {
  constructor(override readonly cause: unknown) {
    super('subgraph call failed', { cause });
  }
}

/**
 * The fetcher of one subgraph: keep-alive node:http (a fraction of the CPU per call of the
 * default fetcher or Node's global fetch, docs/performance.md) with the subgraph's timeout,
 * inside its breaker. A 5xx answer counts as a failure like a timeout: the subgraph is up but
 * cannot serve. A call cut short by the request's own deadline says nothing about the subgraph
 * and is not counted.
 */
function guardedFetcher({ timeoutMs, breaker }: SubgraphCalls): Fetcher {
  const fetch = createKeepAliveFetcher({ timeoutMs });
  return async (url, init) => {
    const signal = requestSignal.getStore();
    try {
      return await breaker.run(
        async () => {
          const response = await fetch(url, { ...init, signal });
          if (response.status >= 500) throw new Error(`answered HTTP ${response.status}`);
          return response;
        },
        () => (signal?.aborted ? 'ignored' : 'failure'),
      );
    } catch (error) {
      // Past the deadline the client has its 504 already; the abort is no news of the subgraph.
      if (signal?.aborted) throw error;
      throw new SubgraphCallFailed(error);
    }
  };
}

export class SignedContextDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  constructor(
    private readonly subgraph: string,
    url: string,
    private readonly signer: ContextSigner,
    private readonly calls: SubgraphCalls,
  ) {
    super({ url, fetcher: guardedFetcher(calls) });
  }

  override async process(options: GraphQLDataSourceProcessOptions<GatewayContext>): ReturnType<RemoteGraphQLDataSource<GatewayContext>['process']> {
    const context = options.context as Partial<GatewayContext>;
    // Past the request's deadline (gateway/index.ts) its outstanding fetches are aborted.
    const signal = context.signal;
    try {
      return await (signal ? requestSignal.run(signal, () => super.process(options)) : super.process(options));
    } catch (error) {
      if (!(error instanceof SubgraphCallFailed)) throw error;
      // A refusal of the open circuit is not logged per call: its opening was, with the cause.
      if (!(error.cause instanceof CircuitOpenError)) this.calls.logger.warn({ subgraph: this.subgraph, err: errorFields(error.cause) }, 'subgraph call failed');
      // Answered, not thrown: a thrown error would reach the client as one error with no path.
      // Nothing of the cause goes with it (its message names the subgraph's address).
      const requestId = context.tenant?.requestId;
      const unavailable = new SubgraphUnavailableError(undefined, requestId ? { requestId } : undefined);
      const document = ('document' in options ? options.document : undefined) ?? parse(options.request.query ?? '{ __typename }');
      return { errors: unavailableFieldErrors(document, options.request.variables?.representations, unavailable) };
    }
  }

  override async willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<void> {
    // Only requests from a client operation carry a context; health checks and schema loads have none.
    if (!('tenant' in context) || !context.tenant) return;
    const ctx = context as GatewayContext;
    // One signature per subgraph per request, however many fetches the plan makes.
    let token = ctx.signedContexts.get(this.subgraph);
    if (!token) {
      token = this.signer.sign(ctx.tenant, this.subgraph);
      ctx.signedContexts.set(this.subgraph, token);
    }
    request.http?.headers.set(CONTEXT_HEADER, await token);
    // Subgraphs refuse the context unless this equals the requestId signed into it.
    request.http?.headers.set(REQUEST_ID_HEADER, ctx.tenant.requestId);
  }
}

/** What the log keeps of a failure: its kind and message (the address it names is for operators), no stack. */
function errorFields(error: unknown): { name?: string; message: string; code?: string } {
  if (!(error instanceof Error)) return { message: String(error) };
  const code = (error as { code?: unknown }).code;
  return { name: error.name, message: error.message, ...(typeof code === 'string' ? { code } : {}) };
}
