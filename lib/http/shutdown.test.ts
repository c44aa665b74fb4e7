/**
 * A stopping HTTP server: new connections are refused at once, the request in flight finishes
 * and gets its answer, and a request that does not finish is cut off at the grace period.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { closeGracefully } from './shutdown.js';

let server: http.Server | undefined;
afterEach(() => {
  server?.closeAllConnections();
  server = undefined;
});

/** A server whose `/slow` answers after `ms`, and whose `/hang` never answers. */
async function serve(ms: number): Promise<string> {
  server = http.createServer((req, res) => {
    if (req.url === '/hang') return;
    setTimeout(() => res.end('done'), req.url === '/slow' ? ms : 0);
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false }, (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

describe('closeGracefully', () => {
  it('refuses new connections at once and lets the request in flight finish', async () => {
    const base = await serve(300);
    const inFlight = get(`${base}/slow`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    const closed = closeGracefully(server!, 5_000);
    await expect(get(`${base}/fast`)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(await inFlight).toEqual({ status: 200, body: 'done' });
    expect(await closed).toEqual({ cutOff: false });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('cuts off a request still running when the grace period ends', async () => {
    const base = await serve(0);
    const hanging = get(`${base}/hang`).catch((error: NodeJS.ErrnoException) => error.code);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    expect(await closeGracefully(server!, 200)).toEqual({ cutOff: true });
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(await hanging).toBe('ECONNRESET');
  });
});
