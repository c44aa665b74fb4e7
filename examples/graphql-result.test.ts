/** Reading answers: partial data is kept with its errors; only an answer without data throws. */
import { describe, expect, it } from 'vitest';
import { errorAt, readResult, RequestFailedError, type ResultError } from './graphql-result.js';

const answer = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(typeof body === 'string' ? body : JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

describe('readResult', () => {
  it('keeps the data of a partial answer and reports each error with its code and path', async () => {
    const result = await readResult<{ tenant: { name: string; billingInsights: null } }>(
      answer(200, {
        data: { tenant: { name: 'Clinic', billingInsights: null } },
        errors: [{ message: 'needs advanced_analytics', path: ['tenant', 'billingInsights'], extensions: { code: 'ENTITLEMENT_REQUIRED', feature: 'advanced_analytics' } }],
      }),
    );
    expect(result.data.tenant.name).toBe('Clinic');
    expect(result.status).toBe(200);
    expect(result.errors).toEqual([
      { message: 'needs advanced_analytics', code: 'ENTITLEMENT_REQUIRED', path: ['tenant', 'billingInsights'], extensions: { code: 'ENTITLEMENT_REQUIRED', feature: 'advanced_analytics' } },
    ]);
  });

  it('an answer without errors has an empty list', async () => {
    expect((await readResult(answer(200, { data: { plans: [] } }))).errors).toEqual([]);
  });

  it('throws RequestFailedError with the status, the codes and Retry-After when there is no data', async () => {
    const error = await readResult(
      answer(429, { errors: [{ message: 'slow down', extensions: { code: 'RATE_LIMITED' } }] }, { 'retry-after': '7' }),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestFailedError);
    expect(error).toMatchObject({ status: 429, codes: ['RATE_LIMITED'], retryAfter: '7', message: 'RATE_LIMITED: slow down (HTTP 429)' });

    await expect(readResult(answer(403, { data: null, errors: [{ message: 'no', extensions: { code: 'TENANT_FORBIDDEN' } }] }))).rejects.toMatchObject({
      status: 403,
      codes: ['TENANT_FORBIDDEN'],
    });
  });

  it('throws on an answer that is not GraphQL (a proxy page)', async () => {
    await expect(readResult(answer(502, '<html>Bad gateway</html>'))).rejects.toMatchObject({ status: 502, errors: [], message: 'HTTP 502 without a GraphQL answer' });
  });
});

describe('errorAt', () => {
  const error = (path: (string | number)[], code: string): ResultError => ({ message: code, code, path, extensions: { code } });
  const errors = [error(['tenants', 'edges', 0, 'node', 'subscription'], 'INSUFFICIENT_SCOPE'), error(['tenant', 'health', 'p95LatencyMs'], 'ENTITLEMENT_REQUIRED')];

  it('finds the error of a field, whatever the list index (one error per path pattern)', () => {
    expect(errorAt(errors, ['tenants', 'edges', 7, 'node', 'subscription'])?.code).toBe('INSUFFICIENT_SCOPE');
    expect(errorAt(errors, ['tenant', 'health', 'p95LatencyMs'])?.code).toBe('ENTITLEMENT_REQUIRED');
  });

  it('finds the error of a field above (a denied object nulls what is under it)', () => {
    expect(errorAt(errors, ['tenants', 'edges', 3, 'node', 'subscription', 'plan', 'code'])?.code).toBe('INSUFFICIENT_SCOPE');
  });

  it('finds nothing for a sibling, a parent, or a request error without a path', () => {
    expect(errorAt(errors, ['tenant', 'health', 'availability'])).toBeUndefined();
    expect(errorAt(errors, ['tenant', 'health'])).toBeUndefined();
    expect(errorAt([{ message: 'x', code: 'X', path: undefined, extensions: {} }], ['tenant'])).toBeUndefined();
  });
});
