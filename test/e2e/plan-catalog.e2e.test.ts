/**
 * The plan catalog carries the API limits the gateway enforces per plan (rate limits per
 * tenant, key and user; the operation cost budget), each growing with the plan.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InProcessPlatform } from '../../scripts/platform.js';
import { bearer, graphql, startTestPlatform } from '../support/platform.js';

const API_LIMITS = ['api_requests_per_minute', 'api_key_requests_per_minute', 'user_requests_per_minute', 'api_max_cost'];

let platform: InProcessPlatform;
beforeAll(async () => {
  platform = await startTestPlatform();
});
afterAll(async () => {
  await platform?.close();
});

describe('plan catalog', () => {
  it('gives every plan each API limit, larger on each plan up', async () => {
    const response = await graphql<{ plans: { code: string; limits: { key: string; value: number }[] }[] }>(
      platform.gateway.url,
      '{ plans { code limits { key value } } }',
      { headers: await bearer(['platform_admin']) },
    );
    expect(response.body.errors).toBeUndefined();
    const byCode = new Map(response.body.data!.plans.map((plan) => [plan.code, new Map(plan.limits.map((l) => [l.key, l.value]))]));
    const order = ['standard', 'premium', 'enterprise'];
    for (const key of API_LIMITS) {
      const values = order.map((code) => byCode.get(code)?.get(key));
      for (const value of values) expect(value, `${key}`).toEqual(expect.any(Number));
      expect([...(values as number[])].sort((a, b) => a - b), key).toEqual(values);
      expect(new Set(values).size, key).toBe(3);
    }
  });
});
