/**
 * A minimal fetch for service-to-service calls: node:http with keep-alive agents and the
 * whole body buffered. Subgraph calls are the gateway's hottest path; profiles showed the
 * default fetcher (make-fetch-happen, which builds a stack trace per request to tell http
 * from https) and Node's global fetch each costing several times this. It implements the
 * `Fetcher` contract of @apollo/utils.fetcher, which RemoteGraphQLDataSource expects.
 *
 * Because the body is buffered, each call is bounded twice: in time, from the request to
 * the last byte (a socket idle timeout alone would let an answer dripping a byte at a time
 * hold the call forever), and in size (a runaway subgraph answer must not exhaust the
 * gateway's heap). A call past either bound fails, and its connection is destroyed, not
 * returned to the pool half read.
 */
import http from 'node:http';
import https from 'node:https';
import type { Fetcher, FetcherHeaders, FetcherResponse } from '@apollo/utils.fetcher';

export interface KeepAliveFetcherOptions {
  /** Longest a call may take, from sending the request to the last byte of the answer (default 30 s). */
  timeoutMs?: number;
  /** Largest answer body accepted, in bytes (default 20 MB); a larger one fails the call. */
  maxResponseBytes?: number;
}

export const DEFAULT_FETCH_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_RESPONSE_BYTES = 20 * 1024 * 1024;

const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 256 });
const httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 256 });

/** A fetcher over the shared keep-alive agents, with its own bounds. */
export function createKeepAliveFetcher(options: KeepAliveFetcherOptions = {}): Fetcher {
  const timeoutMs = options.timeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS;
  const maxBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  return (url, init = {}) =>
    new Promise<FetcherResponse>((resolve, reject) => {
      const target = new URL(url);
      const client = target.protocol === 'https:' ? https : http;
      const body = init.body === undefined ? undefined : Buffer.isBuffer(init.body) ? init.body : Buffer.from(init.body);
      const signal = init.signal as AbortSignal | undefined;
      let settled = false;
      // Why this side ended the call, when it did: the error the caller sees, whichever of the
      // request's or the response's events reports the destroyed connection first.
      let cause: Error | undefined;
      const settle = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        outcome();
      };
      const fail = (error: Error) => settle(() => reject(cause ?? (signal?.aborted && signal.reason instanceof Error ? signal.reason : error)));
      const abort = (error: Error) => {
        cause ??= error;
        request.destroy(error);
      };
      const timer = setTimeout(() => abort(new Error(`No complete answer from ${target.origin} within ${timeoutMs} ms`)), timeoutMs);
      const request = client.request(
        target,
        {
          method: init.method ?? 'GET',
          headers: { ...init.headers, ...(body ? { 'content-length': String(body.length) } : {}) },
          agent: target.protocol === 'https:' ? httpsAgent : httpAgent,
          // The caller's deadline: node:http destroys the request (and fails it) when it aborts.
          signal,
        },
        (response) => {
          const tooLarge = () => new Error(`The answer of ${target.origin} exceeds ${maxBytes} bytes`);
          // A declared length over the cap is refused before a byte of the body is read.
          if (Number(response.headers['content-length']) > maxBytes) return abort(tooLarge());
          const chunks: Buffer[] = [];
          let size = 0;
          response.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > maxBytes) return abort(tooLarge());
            chunks.push(chunk);
          });
          response.on('error', fail);
          response.on('end', () => settle(() => resolve(bufferedResponse(url, response, Buffer.concat(chunks, size)))));
          // Closed without an end (the server went away mid-answer): not a complete answer.
          response.on('close', () => fail(new Error(`${target.origin} closed the connection before its answer was complete`)));
        },
      );
      request.on('error', fail);
      request.end(body);
    });
}

/**
 * A fetcher with the default bounds. The gateway's subgraph calls each make their own, with the
 * subgraph's timeout (gateway/data-source.ts); the agents, and so the connections, are shared.
 */
export const keepAliveFetcher: Fetcher = createKeepAliveFetcher();

function bufferedResponse(url: string, response: http.IncomingMessage, body: Buffer): FetcherResponse {
  const status = response.statusCode ?? 0;
  const headers = new AnswerHeaders();
  for (const [name, value] of Object.entries(response.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  const self: FetcherResponse = {
    bodyUsed: false,
    url,
    redirected: false,
    status,
    ok: status >= 200 && status < 300,
    statusText: response.statusMessage ?? '',
    headers,
    arrayBuffer: async () => body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer,
    text: async () => body.toString('utf8'),
    json: async () => JSON.parse(body.toString('utf8')) as unknown,
    clone: () => self,
  };
  return self;
}

/**
 * The headers of a buffered answer: a map of lower-cased names, as the `FetcherHeaders`
 * contract asks. Not the global `Headers`: that one belongs to Node's fetch implementation, and
 * the first use of it loads all of it (megabytes a gateway process would otherwise never need)
 * and validates every name and value again on each call.
 */
export class AnswerHeaders implements FetcherHeaders {
  private readonly map = new Map<string, string>();
  append(name: string, value: string): void {
    const key = name.toLowerCase();
    const present = this.map.get(key);
    this.map.set(key, present === undefined ? value : `${present}, ${value}`);
  }
  delete(name: string): void {
    this.map.delete(name.toLowerCase());
  }
  get(name: string): string | null {
    return this.map.get(name.toLowerCase()) ?? null;
  }
  has(name: string): boolean {
    return this.map.has(name.toLowerCase());
  }
  set(name: string, value: string): void {
    this.map.set(name.toLowerCase(), value);
  }
  entries(): IterableIterator<[string, string]> {
    return this.map.entries();
  }
  keys(): IterableIterator<string> {
    return this.map.keys();
  }
  values(): IterableIterator<string> {
    return this.map.values();
  }
  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.map.entries();
  }
}
