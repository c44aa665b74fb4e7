/**
 * How the gateway talks to a subgraph: the signed tenant context rides on every request,
 * addressed to that subgraph only and bound to the request id sent beside it, over
 * keep-alive connections.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { Fetcher } from '@apollo/utils.fetcher';
import { keepAliveFetcher } from '../lib/http/keep-alive-fetcher.js';
import { CONTEXT_HEADER, REQUEST_ID_HEADER, type ContextSigner } from '../lib/tenant-context.js';
import type { GatewayContext } from './context.js';

/**
 * The abort signal of the client request a subgraph fetch serves. RemoteGraphQLDataSource
 * builds the fetch options itself, so the signal rides in async context from `process`.
 */
const requestSignal = new AsyncLocalStorage<AbortSignal>();
const abortableFetcher: Fetcher = (url, init) => keepAliveFetcher(url, { ...init, signal: requestSignal.getStore() });

export class SignedContextDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  constructor(
    private readonly subgraph: string,
    url: string,
    private readonly signer: ContextSigner,
  ) {
    // Keep-alive node:http: a fraction of the CPU per subgraph call of the default fetcher or
    // Node's global fetch (docs/performance.md).
    super({ url, fetcher: abortableFetcher });
  }

  override process(options: GraphQLDataSourceProcessOptions<GatewayContext>): ReturnType<RemoteGraphQLDataSource<GatewayContext>['process']> {
    // Past the request's deadline (gateway/index.ts) its outstanding fetches are aborted.
    const signal = (options.context as Partial<GatewayContext>).signal;
    return signal ? requestSignal.run(signal, () => super.process(options)) : super.process(options);
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
