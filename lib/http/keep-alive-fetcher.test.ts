/**
 * The subgraph fetcher against a local node:http server: connections are reused, a call is
 * bounded in time (even when the answer trickles in) and in size (declared or streamed),
 * and a call cut off at a bound does not poison the pool for the next one.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnswerHeaders, createKeepAliveFetcher, DEFAULT_MAX_RESPONSE_BYTES, keepAliveFetcher } from './keep-alive-fetcher.js';

let server: http.Server;
let base: string;
const sockets = new Set<Socket>();
const pending = new Set<NodeJS.Timeout>();

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const later = (ms: number, fn: () => void) => {
      const timer = setTimeout(() => {
        pending.delete(timer);
        fn();
      }, ms);
      pending.add(timer);
    };
    switch (url.pathname) {
      case '/echo': {
        const chunks: Buffer[] = [];
        req.on('data', (chunk: Buffer) => chunks.push(chunk));
        req.on('end', () => {
          res.writeHead(201, { 'content-type': 'application/json', 'x-seen-length': req.headers['content-length'] ?? '' });
          res.end(JSON.stringify({ method: req.method, body: Buffer.concat(chunks).toString('utf8'), port: req.socket.remotePort }));
        });
        return;
      }
      case '/silent':
        return; // never answers
      case '/trickle': {
        // Headers at once, then a byte every 50 ms, forever: the socket is never idle.
        res.writeHead(200, { 'content-type': 'application/json' });
        const drip = () => {
          if (res.destroyed) return;
          res.write(' ');
          later(50, drip);
        };
        drip();
        return;
      }
      case '/declared-huge':
        // Declares more than the default cap, then sends a little and waits.
        res.writeHead(200, { 'content-length': String(DEFAULT_MAX_RESPONSE_BYTES + 1) });
        res.write('x'.repeat(1024));
        return;
      case '/streamed': {
        // Chunked, no length: `size` bytes in 64 KB chunks.
        const size = Number(url.searchParams.get('size'));
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        const chunk = Buffer.alloc(64 * 1024, 'y');
        let sent = 0;
        const pump = () => {
          while (sent < size && !res.destroyed) {
            sent += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          if (!res.destroyed) res.end();
        };
        pump();
        return;
      }
      case '/hang-up':
        // Declares 100 bytes, sends 10, and drops the connection.
        res.writeHead(200, { 'content-length': '100' });
        res.write('0123456789');
        later(20, () => res.socket?.destroy());
        return;
      default:
        res.writeHead(404).end();
    }
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const timer of pending) clearTimeout(timer);
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => server.close(resolve));
});

describe('keepAliveFetcher', () => {
  it('sends the body with its length and buffers the answer: status, headers, text and JSON', async () => {
    const response = await keepAliveFetcher(`${base}/echo`, { method: 'POST', body: '{"query":"{ a }"}', headers: { 'content-type': 'application/json' } });
    expect(response.status).toBe(201);
    expect(response.ok).toBe(true);
    expect(response.headers.get('x-seen-length')).toBe(String('{"query":"{ a }"}'.length));
    expect(await response.json()).toMatchObject({ method: 'POST', body: '{"query":"{ a }"}' });
  });

  it('reuses one connection for calls in sequence', async () => {
    const ports = [];
    for (let i = 0; i < 3; i++) ports.push(((await (await keepAliveFetcher(`${base}/echo`, { method: 'POST', body: '{}' })).json()) as { port: number }).port);
    expect(new Set(ports).size).toBe(1);
  });

  it('fails a call with no answer at its deadline', async () => {
    const fetcher = createKeepAliveFetcher({ timeoutMs: 150 });
    const started = Date.now();
    await expect(fetcher(`${base}/silent`, { method: 'POST', body: '{}' })).rejects.toThrow(/within 150 ms/);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('fails a call whose answer trickles in past the deadline, though the socket is never idle', async () => {
    const fetcher = createKeepAliveFetcher({ timeoutMs: 300 });
    const started = Date.now();
    await expect(fetcher(`${base}/trickle`)).rejects.toThrow(/within 300 ms/);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it(`refuses an answer declared larger than the default cap (${DEFAULT_MAX_RESPONSE_BYTES} bytes) without reading it`, async () => {
    const started = Date.now();
    await expect(keepAliveFetcher(`${base}/declared-huge`)).rejects.toThrow(/exceeds/);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('cuts off a streamed answer as soon as it passes the cap, and the next call still works', async () => {
    const fetcher = createKeepAliveFetcher({ maxResponseBytes: 1024 * 1024 });
    await expect(fetcher(`${base}/streamed?size=${50 * 1024 * 1024}`)).rejects.toThrow(/exceeds 1048576 bytes/);
    const small = await fetcher(`${base}/streamed?size=${512 * 1024}`);
    expect((await small.arrayBuffer()).byteLength).toBe(512 * 1024);
    expect((await fetcher(`${base}/echo`, { method: 'POST', body: '{}' })).status).toBe(201);
  });

  it('refuses a streamed answer over the default cap of 20 MB', async () => {
    await expect(keepAliveFetcher(`${base}/streamed?size=${DEFAULT_MAX_RESPONSE_BYTES + 64 * 1024}`)).rejects.toThrow(/exceeds/);
  });

  it('fails a call whose connection drops mid-answer', async () => {
    await expect(keepAliveFetcher(`${base}/hang-up`)).rejects.toThrow();
  });

  it("fails with the caller's reason when its signal aborts", async () => {
    const controller = new AbortController();
    const call = keepAliveFetcher(`${base}/silent`, { method: 'POST', body: '{}', signal: controller.signal });
    setTimeout(() => controller.abort(new Error('request deadline passed')), 50);
    await expect(call).rejects.toThrow('request deadline passed');
  });
});

describe('AnswerHeaders', () => {
  it('looks names up case-insensitively, joins appended values and iterates lower-cased', () => {
    const headers = new AnswerHeaders();
    headers.set('Content-Type', 'application/json');
    headers.append('Vary', 'accept');
    headers.append('vary', 'origin');
    expect(headers.get('content-type')).toBe('application/json');
    expect(headers.get('VARY')).toBe('accept, origin');
    expect(headers.has('x-missing')).toBe(false);
    expect(headers.get('x-missing')).toBeNull();
    headers.delete('VARY');
    expect([...headers]).toEqual([['content-type', 'application/json']]);
    expect([...headers.keys()]).toEqual(['content-type']);
    expect([...headers.values()]).toEqual(['application/json']);
  });

  it('is what a buffered answer carries: the global Headers (and Node fetch with it) is never loaded for it', async () => {
    const response = await keepAliveFetcher(`${base}/echo`, { method: 'POST', body: '{}' });
    expect(response.headers).toBeInstanceOf(AnswerHeaders);
    expect(response.headers.get('X-Seen-Length')).toBe('2');
  });
});
