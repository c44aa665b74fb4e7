/**
 * The HTTP front in-process, on a one-field ApolloServer: the context (authentication) comes
 * before the body, bodies are capped whether declared or streamed, unexpected errors are
 * reported once and answered masked, and the deadline answers 504 and aborts the request.
 */
import http from 'node:http';
import { ApolloServer } from '@apollo/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnauthenticatedError } from '../errors.js';
import { listenApollo, type RequestScope, type RunningHttpServer } from './apollo-http.js';

interface Context {
  scope: RequestScope;
}

const LIMIT = 10_000;
const reported: { error: unknown; requestId: string }[] = [];
let aborted: Promise<unknown> = Promise.resolve();
let loggerFails = false;
let front: RunningHttpServer;

beforeAll(async () => {
  const server = new ApolloServer<Context>({
    typeDefs: /* GraphQL */ `
      type Query { hello: String slow: String }
    `,
    resolvers: {
      Query: {
        hello: () => 'world',
        // Never answers; records when the request's signal aborts.
        slow: (_root: unknown, _args: unknown, context: Context) => {
          aborted = new Promise((resolve) => context.scope.signal.addEventListener('abort', () => resolve(context.scope.signal.reason)));
          return new Promise(() => {});
        },
      },
    },
  });
  front = await listenApollo<Context>(
    {
      server,
      async createContext(req, scope) {
        if (req.headers.authorization === 'store-down') throw new Error('session store unreachable at 10.0.0.7');
        if (req.headers.authorization !== 'let-me-in') throw new UnauthenticatedError();
        return { scope };
      },
      // A query naming `broken` gets a post-processing step that fails.
      rewrite: (body) => ({
        body,
        ...(JSON.stringify(body).includes('broken')
          ? {
              finish: () => {
                throw new Error('result walk failed on patient 42');
              },
            }
          : {}),
      }),
      routes: {
        '/echo': async (_req, body) => ({ status: 200, body: { body } }),
        '/broken': async () => {
          throw new Error('route failed');
        },
      },
      maxBodyBytes: LIMIT,
      timeoutMs: 200,
      onError: (error, { requestId }) => {
        reported.push({ error, requestId });
        if (loggerFails) throw new Error('log sink unavailable');
      },
    },
    '127.0.0.1',
    0,
  );
});
afterAll(() => front?.close());

interface Answer {
  status: number;
  headers?: http.IncomingHttpHeaders;
  body: { errors?: { message: string; extensions: Record<string, unknown> }[]; data?: unknown; body?: unknown };
}

/** POSTs with node:http; `chunks` are streamed without a content-length. */
function post(path: string, body: string | string[], headers: Record<string, string> = {}): Promise<Answer> {
  const url = new URL(path, front.url);
  return new Promise((resolve, reject) => {
    const streamed = Array.isArray(body);
    const request = http.request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(streamed ? {} : { 'content-length': String(Buffer.byteLength(body)) }), ...headers },
    });
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }),
      );
    });
    // The server may close the connection before taking the whole body: the answer is what counts.
    request.on('error', (error) => (request.writableFinished ? reject(error) : undefined));
    if (!streamed) return void request.end(body);
    for (const chunk of body) request.write(chunk);
    request.end();
  });
}

const query = (text: string) => JSON.stringify({ query: text });

function expectMaskedStatus(answer: Answer): void {
  expect(answer.status).toBe(500);
  expect(answer.body.errors![0]!.extensions.code).toBe('INTERNAL_SERVER_ERROR');
}

describe('listenApollo', () => {
  it('answers GraphQL once the context is made', async () => {
    const answer = await post('/graphql', query('{ hello }'), { authorization: 'let-me-in' });
    expect(answer).toMatchObject({ status: 200, body: { data: { hello: 'world' } } });
  });

  it('refuses an unauthenticated request before reading its body', async () => {
    const answer = await post('/graphql', 'not json at all', {});
    expect(answer.status).toBe(401);
    expect(answer.body.errors![0]!.extensions.code).toBe('UNAUTHENTICATED');
  });

  it('refuses a declared body over the limit with 413, and cuts off a streamed one at the limit', async () => {
    const declared = await post('/graphql', JSON.stringify({ query: '{ hello }', pad: 'x'.repeat(LIMIT) }), { authorization: 'let-me-in' });
    expect(declared.status).toBe(413);
    expect(declared.body.errors![0]!.extensions).toEqual({ code: 'PAYLOAD_TOO_LARGE', limit: LIMIT });
    const streamed = await post('/graphql', Array.from({ length: 50 }, () => 'x'.repeat(1_000)), { authorization: 'let-me-in' });
    expect(streamed.status).toBe(413);
    expect(streamed.body.errors![0]!.extensions.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('parses POST route bodies under the same cap', async () => {
    expect(await post('/echo', '{"a":1}')).toMatchObject({ status: 200, body: { body: { a: 1 } } });
    expect((await post('/echo', JSON.stringify({ pad: 'x'.repeat(LIMIT) }))).status).toBe(413);
    expect((await post('/echo', '{')).status).toBe(400);
  });

  describe('an unexpected error is reported once with the request id and answered masked', () => {
    /** The answer is a masked 500 naming the request id, which is the one reported, once, with the error. */
    function expectMasked(answer: Answer, message: string): void {
      expect(answer.status).toBe(500);
      const requestId = answer.body.errors![0]!.extensions.requestId;
      expect(requestId).toEqual(expect.any(String));
      expect(answer.body).toEqual({ errors: [{ message: `Internal server error (request ${String(requestId)})`, extensions: { code: 'INTERNAL_SERVER_ERROR', requestId } }] });
      expect(reported).toEqual([{ error: expect.objectContaining({ message }), requestId }]);
    }

    it('from an internal route', async () => {
      reported.length = 0;
      expectMasked(await post('/broken', '{}'), 'route failed');
    });

    it('from createContext failing with an error that is not a CareGraphError', async () => {
      reported.length = 0;
      const answer = await post('/graphql', query('{ hello }'), { authorization: 'store-down' });
      expectMasked(answer, 'session store unreachable at 10.0.0.7');
      expect(JSON.stringify(answer.body)).not.toContain('10.0.0.7');
      // The body was never read: the connection is not kept alive to drain it.
      expect(answer.headers?.connection).toBe('close');
    });

    it('from the rewrite’s finish step, after execution', async () => {
      reported.length = 0;
      const answer = await post('/graphql', query('{ broken: hello }'), { authorization: 'let-me-in' });
      expectMasked(answer, 'result walk failed on patient 42');
      expect(JSON.stringify(answer.body)).not.toContain('patient 42');
    });
  });

  it('still answers masked when reporting itself fails, and keeps serving', async () => {
    reported.length = 0;
    loggerFails = true;
    try {
      expectMaskedStatus(await post('/broken', '{}'));
    } finally {
      loggerFails = false;
    }
    expect(reported).toHaveLength(1);
    expect((await post('/graphql', query('{ hello }'), { authorization: 'let-me-in' })).status).toBe(200);
  });

  it('answers a route asked with another method 405 METHOD_NOT_ALLOWED, naming the methods it takes', async () => {
    const response = await fetch(new URL('/echo', front.url), { method: 'DELETE' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, POST');
    expect(((await response.json()) as Answer['body']).errors![0]!.extensions.code).toBe('METHOD_NOT_ALLOWED');
  });

  it('refuses GET to GraphQL when a rewrite is set with 405 METHOD_NOT_ALLOWED and an allow header', async () => {
    const response = await fetch(`${front.url}?query=${encodeURIComponent('{ hello }')}`, { headers: { authorization: 'let-me-in' } });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST');
    expect(await response.json()).toEqual({ errors: [{ message: 'Send GraphQL requests with POST', extensions: { code: 'METHOD_NOT_ALLOWED' } }] });
  });

  it('answers 504 GATEWAY_TIMEOUT past the deadline and aborts the request', async () => {
    const answer = await post('/graphql', query('{ slow }'), { authorization: 'let-me-in' });
    expect(answer.status).toBe(504);
    expect(answer.body.errors![0]!.extensions).toEqual({ code: 'GATEWAY_TIMEOUT', requestId: expect.any(String) });
    expect(await aborted).toMatchObject({ code: 'GATEWAY_TIMEOUT' });
  });
});
