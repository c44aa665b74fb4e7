/** Every error code is documented in docs/errors.md, and masking hides what must not leak. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorCode, HTTP_STATUS, maskError } from './errors.js';
import { ROOT } from './federation/compose.js';

describe('error registry', () => {
  const doc = fs.readFileSync(path.join(ROOT, 'docs', 'errors.md'), 'utf8');

  it.each(Object.values(ErrorCode))('%s is documented with its HTTP status', (code) => {
    expect(doc).toMatch(new RegExp(`^\\| \`${code}\` \\| ${HTTP_STATUS[code]} \\|`, 'm'));
  });

  it('documents no code that does not exist', () => {
    const documented = [...doc.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((match) => match[1]);
    expect(documented.sort()).toEqual(Object.values(ErrorCode).sort());
  });

  it('masks unknown errors as INTERNAL_SERVER_ERROR with the request id and no detail', () => {
    const masked = maskError(
      { message: 'duplicate key value violates unique constraint "patients_pkey"', extensions: { stacktrace: ['at x'] } },
      'req-1',
    );
    expect(masked).toEqual({
      message: 'Internal server error (request req-1)',
      extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: 'req-1' },
    });
  });

  it('keeps registered codes but strips stack traces', () => {
    const kept = maskError({ message: 'first must be between 1 and 500', path: ['tenants'], extensions: { code: 'BAD_USER_INPUT', stacktrace: ['at y'] } });
    expect(kept).toEqual({ message: 'first must be between 1 and 500', path: ['tenants'], extensions: { code: 'BAD_USER_INPUT' } });
  });
});

describe('INTERNAL_SERVER_ERROR from elsewhere', () => {
  it('is re-masked: its original message may name internal addresses', () => {
    const masked = maskError(
      { message: 'request to http://127.0.0.1:4003/graphql failed, reason: connect ECONNREFUSED', extensions: { code: 'INTERNAL_SERVER_ERROR' } },
      'req-9',
    );
    expect(masked).toEqual({ message: 'Internal server error (request req-9)', extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: 'req-9' } });
  });
});

describe('what a client error may carry', () => {
  it('drops extensions that name internals: a subgraph name and the upstream response with its URL', () => {
    const masked = maskError({
      message: '401: Unauthorized',
      extensions: {
        code: 'UNAUTHENTICATED',
        serviceName: 'clinical-ops',
        response: { url: 'http://127.0.0.1:4003/graphql', status: 401, body: { errors: [] } },
        exception: { stacktrace: ['at z'] },
      },
    });
    expect(masked).toEqual({ message: '401: Unauthorized', extensions: { code: 'UNAUTHENTICATED' } });
    expect(JSON.stringify(masked)).not.toMatch(/127\.0\.0\.1|clinical-ops/);
  });

  it('keeps the documented client extensions', () => {
    const kept = maskError({ message: 'Too many', extensions: { code: 'RATE_LIMITED', limit: 5, requestId: 'r', internal: 'x' } });
    expect(kept.extensions).toEqual({ code: 'RATE_LIMITED', limit: 5, requestId: 'r' });
  });

  it('removes "Did you mean" suggestions, which reveal schema members the caller may not see', () => {
    const masked = maskError({
      message: 'Cannot query field "emial" on type "Patient". Did you mean "email" or "mrn"?',
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    });
    expect(masked.message).toBe('Cannot query field "emial" on type "Patient".');
  });
});
