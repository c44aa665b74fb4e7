import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';
import { runWithRequestContext } from './request-context.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      done();
    },
  });
  return { lines, stream };
}

describe('createLogger', () => {
  it('stamps the request id and tenant id on every line written inside a request, and drops credentials', async () => {
    const { lines, stream } = capture();
    const logger = createLogger('test', 'info', stream);
    logger.info('outside');
    runWithRequestContext(
      {
        requestId: 'req-42',
        access: 'tenant',
        tenantId: '00000000-0000-4000-8000-000000000001',
        principal: { id: 'u', kind: 'user' },
        roles: [],
        scopes: [],
        entitlements: [],
      },
      () => logger.info({ req: { headers: { authorization: 'Bearer secret', 'x-api-key': 'cgk_x' } } }, 'inside'),
    );
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines[0]).toMatchObject({ service: 'test', msg: 'outside' });
    expect(lines[0]).not.toHaveProperty('requestId');
    expect(lines[1]).toMatchObject({ msg: 'inside', requestId: 'req-42', tenantId: '00000000-0000-4000-8000-000000000001' });
    expect(JSON.stringify(lines[1])).not.toContain('secret');
    expect(JSON.stringify(lines[1])).not.toContain('cgk_x');
  });
});
