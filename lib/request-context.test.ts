/**
 * The request context follows the request through awaits and timers, never leaks into another
 * request running at the same time, and is absent (or a thrown bug) outside any request.
 */
import { describe, expect, it } from 'vitest';
import { currentRequestContext, enterRequestContext, requireRequestContext, runWithRequestContext } from './request-context.js';
import type { TenantContext } from './tenant-context.js';

const contextFor = (requestId: string): TenantContext => ({
  requestId,
  access: 'tenant',
  tenantId: '00000000-0000-4000-8000-000000000001',
  principal: { id: 'u', kind: 'user' },
  roles: [],
  scopes: [],
  entitlements: [],
});

const tick = (ms = 1) => new Promise((resolve) => setTimeout(resolve, ms));

describe('request context', () => {
  it('is undefined outside a request, and requiring it there throws', () => {
    expect(currentRequestContext()).toBeUndefined();
    expect(() => requireRequestContext()).toThrow('No request context');
  });

  it('is the request’s own inside runWithRequestContext, across awaits and timers', async () => {
    const context = contextFor('r1');
    const seen = await runWithRequestContext(context, async () => {
      const first = currentRequestContext();
      await tick();
      const afterAwait = requireRequestContext();
      const inTimer = await new Promise((resolve) => setTimeout(() => resolve(currentRequestContext()), 1));
      return [first, afterAwait, inTimer];
    });
    expect(seen).toEqual([context, context, context]);
    expect(currentRequestContext()).toBeUndefined();
  });

  it('keeps concurrent requests apart', async () => {
    const requestIds = await Promise.all(
      ['a', 'b', 'c'].map((id, index) =>
        runWithRequestContext(contextFor(id), async () => {
          await tick(5 * (3 - index));
          return requireRequestContext().requestId;
        }),
      ),
    );
    expect(requestIds).toEqual(['a', 'b', 'c']);
  });

  it('restores the outer context after a nested run', () => {
    runWithRequestContext(contextFor('outer'), () => {
      runWithRequestContext(contextFor('inner'), () => expect(requireRequestContext().requestId).toBe('inner'));
      expect(requireRequestContext().requestId).toBe('outer');
    });
  });

  it('enterRequestContext makes a context current for the rest of the callback that entered it, and no other', async () => {
    // As a Fastify hook does: a callback of its own, entering the request's context.
    const hook = (requestId: string) =>
      new Promise<string | undefined>((resolve) =>
        setImmediate(() => {
          enterRequestContext(contextFor(requestId));
          void tick().then(() => resolve(currentRequestContext()?.requestId));
        }),
      );
    expect(await Promise.all([hook('x'), hook('y')])).toEqual(['x', 'y']);
    expect(currentRequestContext()).toBeUndefined();
  });
});
