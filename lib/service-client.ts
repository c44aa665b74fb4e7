/**
 * Service-to-service calls: a request to an internal route of a subgraph with a signed
 * *service* context addressed to it. Runs in the gateway, so it signs with the gateway's key,
 * and calls over the same keep-alive connections and bounds as the subgraph fetches.
 */
import { randomUUID } from 'node:crypto';
import type { SubgraphName } from './config.js';
import { ServiceUnavailableError } from './errors.js';
import { createKeepAliveFetcher } from './http/keep-alive-fetcher.js';
import { currentRequestContext } from './request-context.js';
import { CONTEXT_HEADER, REQUEST_ID_HEADER, serviceContext, type ContextSigner } from './tenant-context.js';

const TIMEOUT_MS = 2_000;
/** Internal answers are small (a key, an access list); anything larger is a fault. */
const MAX_ANSWER_BYTES = 1024 * 1024;
const fetchInternal = createKeepAliveFetcher({ timeoutMs: TIMEOUT_MS, maxResponseBytes: MAX_ANSWER_BYTES });

export class ServiceClient {
  constructor(
    private readonly service: string,
    private readonly signer: ContextSigner,
    private readonly urls: Readonly<Record<SubgraphName, string>>,
  ) {}

  /** Reads from an internal route. */
  async get<T>(subgraph: SubgraphName, route: string, params: Record<string, string>): Promise<T> {
    const url = new URL(`/internal/${route}`, this.urls[subgraph]);
    for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
    return this.call<T>(subgraph, route, url, { method: 'GET' });
  }

  /** Writes through an internal route (JSON body); resolves once the subgraph has committed it. */
  async post<T>(subgraph: SubgraphName, route: string, body: unknown): Promise<T> {
    const url = new URL(`/internal/${route}`, this.urls[subgraph]);
    return this.call<T>(subgraph, route, url, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  }

  private async call<T>(subgraph: SubgraphName, route: string, url: URL, init: { method: string; body?: string; headers?: Record<string, string> }): Promise<T> {
    // A fresh context per call, bound to its own request id like every forwarded context: a
    // signature costs tens of microseconds, and the callers cache what they read.
    const requestId = randomUUID();
    const context = serviceContext(this.service, requestId, currentRequestContext()?.requestId ?? null);
    let response: Awaited<ReturnType<typeof fetchInternal>>;
    try {
      response = await fetchInternal(url.href, {
        ...init,
        headers: { ...init.headers, [CONTEXT_HEADER]: await this.signer.sign(context, subgraph), [REQUEST_ID_HEADER]: requestId },
      });
    } catch (error) {
      // The service is down or did not answer in time: the caller's request can be retried.
      throw Object.assign(new ServiceUnavailableError(), { cause: error });
    }
    // The service's database is down (lib/db/database.ts): passed on as the same retryable error.
    if (response.status === 503) throw new ServiceUnavailableError();
    if (!response.ok) throw new Error(`${subgraph} /internal/${route} answered ${response.status}`);
    return (await response.json()) as T;
  }
}
