/**
 * Service-to-service calls: a request to an internal route of a subgraph with a signed
 * *service* context addressed to it. Runs in the gateway, so it signs with the gateway's key,
 * and calls over the same keep-alive connections and bounds as the subgraph fetches.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { SubgraphName } from './config.js';
import { NotFoundError, ServiceUnavailableError } from './errors.js';
import { createKeepAliveFetcher } from './http/keep-alive-fetcher.js';
import { currentRequestContext } from './request-context.js';
import { CONTEXT_HEADER, REQUEST_ID_HEADER, serviceContext, type ContextSigner } from './tenant-context.js';

const TIMEOUT_MS = 2_000;
/** Internal answers are small (a key, an access list); anything larger is a fault. */
const MAX_ANSWER_BYTES = 1024 * 1024;
const fetchInternal = createKeepAliveFetcher({ timeoutMs: TIMEOUT_MS, maxResponseBytes: MAX_ANSWER_BYTES });
/** How long a streamed answer may take to start (its headers); the body then flows at the reader's pace. */
const STREAM_START_TIMEOUT_MS = 10_000;

/** A streamed answer of an internal route: its status, content type and body, not read yet. */
export interface StreamedAnswer {
  status: number;
  contentType: string | undefined;
  body: http.IncomingMessage;
}

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

  /**
   * Reads an internal route that answers bytes (an archive), as a stream: resolves once the answer
   * has started, with its body unread, so the caller can pass it on without holding it whole.
   * NOT_FOUND for a 404; SERVICE_UNAVAILABLE when the service is down, does not start answering in
   * time, or cannot reach its database.
   */
  async stream(subgraph: SubgraphName, route: string, params: Record<string, string>): Promise<StreamedAnswer> {
    const url = new URL(`/internal/${route}`, this.urls[subgraph]);
    for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
    const requestId = randomUUID();
    const context = serviceContext(this.service, requestId, currentRequestContext()?.requestId ?? null);
    const headers = { [CONTEXT_HEADER]: await this.signer.sign(context, subgraph), [REQUEST_ID_HEADER]: requestId };
    const response = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const request = (url.protocol === 'https:' ? https : http).get(url, { headers }, resolve);
      request.setTimeout(STREAM_START_TIMEOUT_MS, () => request.destroy(new Error(`No answer from ${subgraph} within ${STREAM_START_TIMEOUT_MS} ms`)));
      request.on('error', (error) => reject(Object.assign(new ServiceUnavailableError(), { cause: error })));
    });
    const status = response.statusCode ?? 0;
    if (status >= 200 && status < 300) return { status, contentType: response.headers['content-type'], body: response };
    response.resume();
    throw failure(subgraph, route, status);
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
    if (!response.ok) throw failure(subgraph, route, response.status);
    return (await response.json()) as T;
  }
}

/**
 * The error of an internal answer that is not 2xx: the record asked for does not exist (404,
 * passed on as NOT_FOUND); the service's database is down (503, lib/db/database.ts: passed on as
 * the same retryable error); anything else is a fault, named by subgraph, route and status.
 */
function failure(subgraph: SubgraphName, route: string, status: number): Error {
  if (status === 404) return new NotFoundError(`${subgraph} has no such record`);
  if (status === 503) return new ServiceUnavailableError();
  return new Error(`${subgraph} /internal/${route} answered ${status}`);
}
