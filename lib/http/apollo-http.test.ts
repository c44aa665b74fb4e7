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
        if (req.headers.authorization !== 'let-me-in') throw new UnauthenticatedError();
        return { scope };
      },
      routes: {
        '/echo': async (_req, body) => ({ status: 200, body: { body } }),
        '/broken': async () => {
          throw new Error('route failed');
        },
      },
      maxBodyBytes: LIMIT,
      timeoutMs: 200,
      onError: (error, { requestId }) => reported.push({ error, requestId }),
    },
    '127.0.0.1',
    0,
  );
});
afterAll(() => front?.close());

interface Answer {
  status: number;
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
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
    });
    // The server may close the connection before taking the whole body: the answer is what counts.
    request.on('error', (error) => (request.writableFinished ? reject(error) : undefined));
    if (!streamed) return void request.end(body);
    for (const chunk of body) request.write(chunk);
    request.end();
  });
}

const query = (text: string) => JSON.stringify({ query: text });

describe('listenApollo', () => {
  it('answers GraphQL once the context is made', async () => {
    const answer = await post('/graphql', query('{ hello }'), { authorization: 'let-me-in' });
    expect(answer).toEqual({ status: 200, body: { data: { hello: 'world' } } });
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
    expect(await post('/echo', '{"a":1}')).toEqual({ status: 200, body: { body: { a: 1 } } });
    expect((await post('/echo', JSON.stringify({ pad: 'x'.repeat(LIMIT) }))).status).toBe(413);
    expect((await post('/echo', '{')).status).toBe(400);
  });

  it('reports an unexpected error once and answers a masked 500 naming the request id', async () => {
    reported.length = 0;
    const answer = await post('/broken', '{}');
    expect(answer.status).toBe(500);
    const requestId = answer.body.errors![0]!.extensions.requestId;
    expect(answer.body.errors).toEqual([{ message: `Internal server error (request ${requestId})`, extensions: { code: 'INTERNAL_SERVER_ERROR', requestId } }]);
    expect(reported).toEqual([{ error: expect.objectContaining({ message: 'route failed' }), requestId }]);
  });

  it('answers 504 GATEWAY_TIMEOUT past the deadline and aborts the request', async () => {
    const answer = await post('/graphql', query('{ slow }'), { authorization: 'let-me-in' });
    expect(answer.status).toBe(504);
    expect(answer.body.errors![0]!.extensions).toEqual({ code: 'GATEWAY_TIMEOUT', requestId: expect.any(String) });
    expect(await aborted).toMatchObject({ code: 'GATEWAY_TIMEOUT' });
  });
});
