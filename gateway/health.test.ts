import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readinessRoute } from './health.js';

describe('readinessRoute', () => {
  let healthy = true;
  let server: http.Server;
  let up: string;
  // Nothing listens there: connecting is refused at once.
  const down = 'http://127.0.0.1:1/graphql';

  beforeAll(async () => {
    server = http.createServer((_request, response) => response.writeHead(healthy ? 200 : 503).end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    up = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const recorder = () => {
    const lines: { level: string; fields: unknown; message?: string }[] = [];
    const record = (level: string) => (fields: unknown, message?: string) => void lines.push({ level, fields, message });
    return { lines, logger: { warn: record('warn'), info: record('info') } as never };
  };

  it('answers ready or not only, and logs a failure once until it changes', async () => {
    const { lines, logger } = recorder();
    const route = readinessRoute({ tenancy: up, erp: down } as never, logger);
    const probe = () => route({} as never);

    for (let poll = 0; poll < 5; poll += 1) {
      expect(await probe()).toEqual({ status: 503, body: { status: 'not ready' } });
    }
    expect(lines).toEqual([{ level: 'warn', fields: { subgraphs: { erp: 'unreachable' } }, message: 'not ready: subgraph health checks failed' }]);

    healthy = false;
    await probe();
    await probe();
    expect(lines.slice(1)).toEqual([
      { level: 'warn', fields: { subgraphs: { tenancy: 'status 503', erp: 'unreachable' } }, message: 'not ready: subgraph health checks failed' },
    ]);
  });

  it('logs the recovery once, and nothing while all is well', async () => {
    const { lines, logger } = recorder();
    healthy = false;
    const route = readinessRoute({ tenancy: up } as never, logger);
    await route({} as never);
    healthy = true;
    expect(await route({} as never)).toEqual({ status: 200, body: { status: 'ready' } });
    await route({} as never);
    expect(lines.map((line) => line.level)).toEqual(['warn', 'info']);
  });
});
