/**
 * The HTTP front in-process, on a one-field ApolloServer: the context (authentication) comes
 * before the body, bodies are capped whether declared or streamed, unexpected errors are
 * reported once and answered masked, and the deadline answers 504 and aborts the request.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { ApolloServer } from '@apollo/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BadUserInputError, UnauthenticatedError } from '../errors.js';
import { listenApollo, routeFor, type RequestScope, type RunningHttpServer } from './apollo-http.js';
import { IMMUTABLE, staticFiles } from './static-files.js';

interface Context {
  scope: RequestScope;
}

const LIMIT = 10_000;
const reported: { error: unknown; requestId: string }[] = [];
let aborted: Promise<unknown> = Promise.resolve();
let loggerFails = false;
let front: RunningHttpServer;
/** A folder served at /files, beside a file that must never be served. */
const filesRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'caregraph-http-'));
const SECRET = 'secret outside the served folder';

beforeAll(async () => {
  fs.mkdirSync(path.join(filesRoot, 'public', 'sub'), { recursive: true });
  fs.writeFileSync(path.join(filesRoot, 'public', 'app-1a2b.js'), 'console.log(1);\n');
  fs.writeFileSync(path.join(filesRoot, 'public', 'sub', 'font.woff2'), Buffer.from([0x77, 0x4f, 0x46, 0x32]));
  fs.writeFileSync(path.join(filesRoot, 'public', '.env'), SECRET);
  fs.writeFileSync(path.join(filesRoot, 'secret.txt'), SECRET);
  fs.symlinkSync(path.join(filesRoot, 'secret.txt'), path.join(filesRoot, 'public', 'link.txt'));
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
      // A query naming `broken` gets a post-processing step that fails; one naming `marked`, one that marks the result.
      rewrite: (body) => ({
        body,
        ...(JSON.stringify(body).includes('broken')
          ? {
              finish: () => {
                throw new Error('result walk failed on patient 42');
              },
            }
          : JSON.stringify(body).includes('marked')
            ? { finish: (result: Record<string, unknown>) => ({ ...result, extensions: { finished: true } }) }
            : {}),
      }),
      routes: {
        '/echo': async (_req, body) => ({ status: 200, body: { body } }),
        '/broken': async () => {
          throw new Error('route failed');
        },
        '/refuses': async () => {
          throw new BadUserInputError('persona must be one of a, b');
        },
        '/page': async () => ({ status: 200, body: Buffer.from('<!doctype html><p>hi</p>'), headers: { 'content-type': 'text/html; charset=utf-8' } }),
        '/stream': async () => ({ status: 200, body: Readable.from(['{"n":1}\n', '{"n":2}\n']), headers: { 'content-type': 'application/x-ndjson' } }),
        '/stream-breaks': async () => ({
          status: 200,
          body: Readable.from(
            (async function* () {
              yield '{"n":1}\n';
              throw new Error('the source went away');
            })(),
          ),
          headers: { 'content-type': 'application/x-ndjson' },
        }),
        '/files/*': staticFiles({ prefix: '/files', folder: path.join(filesRoot, 'public'), cacheControl: () => IMMUTABLE }),
      },
      browserRedirect: '/explorer',
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
afterAll(async () => {
  await front?.close();
  fs.rmSync(filesRoot, { recursive: true, force: true });
});

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
    // No browser policy asked for (a subgraph): none of its headers.
    expect(answer.headers?.['x-content-type-options']).toBeUndefined();
    expect(answer.headers?.vary).toBeUndefined();
  });

  it('runs the rewrite’s finish step on a result sent as application/graphql-response+json too', async () => {
    for (const accept of ['application/json', 'application/graphql-response+json']) {
      const answer = await post('/graphql', query('{ marked: hello }'), { authorization: 'let-me-in', accept });
      expect(answer.headers?.['content-type']).toContain(accept);
      expect(answer.body).toEqual({ data: { marked: 'world' }, extensions: { finished: true } });
    }
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

/** GETs `rawPath` exactly as written (fetch would normalise `..` before sending it). */
function getRaw(rawPath: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }> {
  const url = new URL(front.url);
  return new Promise((resolve, reject) => {
    const request = http.get({ host: url.hostname, port: url.port, path: rawPath, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, text: Buffer.concat(chunks).toString('utf8') }));
    });
    request.on('error', reject);
  });
}

describe('routes that answer bytes, and static files', () => {
  it('sends a route’s bytes as they are, under its own content type', async () => {
    const answer = await getRaw('/page');
    expect(answer).toMatchObject({ status: 200, text: '<!doctype html><p>hi</p>' });
    expect(answer.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(answer.headers['content-length']).toBe('24');
  });

  it('passes a route’s stream on as it comes, under its own content type', async () => {
    const answer = await getRaw('/stream');
    expect(answer).toMatchObject({ status: 200, text: '{"n":1}\n{"n":2}\n' });
    expect(answer.headers['content-type']).toBe('application/x-ndjson');
  });

  it('cuts the connection when a stream fails mid-way: the client never takes half an answer for a whole one', async () => {
    const url = new URL(front.url);
    const complete = await new Promise<boolean>((resolve) => {
      http.get({ host: url.hostname, port: url.port, path: '/stream-breaks' }, (response) => {
        response.on('error', () => undefined);
        response.resume();
        response.on('close', () => resolve(response.complete));
      });
    });
    expect(complete).toBe(false);
  });

  it('answers a CareGraphError thrown by a route with its code and status, unmasked', async () => {
    const answer = await getRaw('/refuses');
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.text)).toEqual({ errors: [{ message: 'persona must be one of a, b', extensions: { code: 'BAD_USER_INPUT' } }] });
  });

  it('serves the files of the folder with their content type and cache header', async () => {
    const script = await getRaw('/files/app-1a2b.js');
    expect(script).toMatchObject({ status: 200, text: 'console.log(1);\n' });
    expect(script.headers).toMatchObject({ 'content-type': 'text/javascript; charset=utf-8', 'cache-control': IMMUTABLE, 'x-content-type-options': 'nosniff' });
    const font = await getRaw('/files/sub/font.woff2');
    expect(font.status).toBe(200);
    expect(font.headers['content-type']).toBe('font/woff2');
  });

  it.each([
    '/files/../secret.txt',
    '/files/%2e%2e/secret.txt',
    '/files/%2E%2E/%2e%2e/secret.txt',
    '/files/..%2fsecret.txt',
    '/files/%2e%2e%2fsecret.txt',
    '/files/sub/..%2f..%2fsecret.txt',
    '/files/..%5csecret.txt',
    '/files/%2fetc%2fpasswd',
    '/files//etc/passwd',
    '/files/.env',
    '/files/link.txt',
    '/files/sub',
    '/files/',
    '/files/nope.js',
    '/files/%E0%A4%A',
    '/files/app-1a2b.js%00.txt',
  ])('answers %s 404 NOT_FOUND as JSON, never a file outside the folder', async (rawPath) => {
    const answer = await getRaw(rawPath);
    expect(answer.status).toBe(404);
    expect(answer.headers['content-type']).toMatch(/^application\/json/);
    expect((JSON.parse(answer.text) as Answer['body']).errors![0]!.extensions.code).toBe('NOT_FOUND');
    expect(answer.text).not.toContain(SECRET);
  });

  it('takes only paths below a prefix route, exact routes first', () => {
    const exact = async () => ({ status: 200, body: {} });
    const below = async () => ({ status: 200, body: {} });
    const routes = { '/files/index': exact, '/files/*': below };
    expect(routeFor(routes, '/files/index')).toBe(exact);
    expect(routeFor(routes, '/files/a/b.js')).toBe(below);
    expect(routeFor(routes, '/files')).toBeUndefined();
    expect(routeFor(routes, '/filesx/a.js')).toBeUndefined();
  });
});

describe('GET to GraphQL from a browser', () => {
  it('redirects a page load (Accept: text/html) with 302 to the explorer', async () => {
    const answer = await getRaw('/graphql', { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' });
    expect(answer.status).toBe(302);
    expect(answer.headers.location).toBe('/explorer');
  });

  it('still refuses other GETs with 405', async () => {
    for (const accept of [undefined, 'application/json', '*/*']) {
      const answer = await getRaw('/graphql?query=%7Bhello%7D', accept ? { accept } : {});
      expect(answer.status).toBe(405);
      expect(answer.headers.allow).toBe('POST');
    }
  });
});
