/**
 * For the examples' tests: a real HTTP server on a free loopback port that answers each
 * request with the next scripted reply and records what it was sent, so a client is tested
 * over the wire rather than against a mocked `fetch`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A scripted answer; `hang-up` drops the connection unanswered (a network error), `silence`
 * never answers (until the server closes).
 */
export type Reply = { status: number; headers?: Record<string, string>; body?: unknown } | 'hang-up' | 'silence';

export interface RecordedRequest {
  headers: http.IncomingHttpHeaders;
  body: unknown;
}

export interface TestServer {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/**
 * Serves `replies` in order (the last one again once they run out), or the reply `reply(n,
 * request)` computes for the nth request (0-based). Bodies are JSON unless a string.
 */
export async function startTestServer(replies: Reply[] | ((index: number, request: RecordedRequest) => Reply)): Promise<TestServer> {
  const requests: RecordedRequest[] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const recorded: RecordedRequest = { headers: request.headers, body: text ? (JSON.parse(text) as unknown) : undefined };
      const index = requests.push(recorded) - 1;
      const reply = typeof replies === 'function' ? replies(index, recorded) : replies[Math.min(index, replies.length - 1)]!;
      if (reply === 'hang-up') return request.socket.destroy();
      if (reply === 'silence') return;
      response.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
      response.end(typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body ?? { data: {} }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    requests,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
