/**
 * Mapping validation: what a tenant may set per connector, each refusal a BAD_USER_INPUT naming
 * the field, and the defaults that fill what it did not set.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CareGraphError } from '../../../lib/errors.js';
import { connectorOf, DEFAULT_BREAKER, DEFAULT_TIMEOUT_MS, effectiveMapping, parseProtectedChange, parseUnprotectedChange } from './mapping.js';

/** The argument and message of the BAD_USER_INPUT `run` throws. */
function refusal(run: () => unknown): { argument: unknown; message: string } {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(CareGraphError);
    expect((error as CareGraphError).code).toBe('BAD_USER_INPUT');
    return { argument: (error as CareGraphError).extensions.argument, message: (error as Error).message };
  }
  throw new Error('expected BAD_USER_INPUT');
}

describe('unprotected changes', () => {
  it('take timeouts, breaker thresholds, enabled and the connector’s own field map; null resets a field', () => {
    expect(parseUnprotectedChange('payer_claims', { timeoutMs: 2_500, breakerFailureThreshold: null, fieldMap: { providerId: 'tax_id', placeOfService: '02' } })).toEqual({
      timeoutMs: 2_500,
      breakerFailureThreshold: null,
      fieldMap: { providerId: 'tax_id', placeOfService: '02' },
    });
    expect(parseUnprotectedChange('messaging', { enabled: false, fieldMap: { templates: { appointment_reminder: 'TPL-1' } } })).toMatchObject({ enabled: false });
  });

  it.each([
    [{ timeoutMs: 50 }, 'input.timeoutMs', /whole number from 100 to 60000/],
    [{ timeoutMs: 1_000.5 }, 'input.timeoutMs', /whole number/],
    [{ breakerFailureThreshold: 0 }, 'input.breakerFailureThreshold', /from 1 to 1000/],
    [{ breakerWindowMs: 10 }, 'input.breakerWindowMs', /from 1000 to 600000/],
    [{ breakerCoolDownMs: 10_000_000 }, 'input.breakerCoolDownMs', /from 100 to 600000/],
    [{ fieldMap: { providerId: 'ssn' } }, 'input.fieldMap.providerId', /npi or tax_id/],
    [{ fieldMap: { placeOfService: '2' } }, 'input.fieldMap.placeOfService', /two-digit/],
    [{ fieldMap: { templates: { reminder: 'x' } } }, 'input.fieldMap', /not a field of this connector/],
    [{}, 'input', /changes nothing/],
  ])('refuse %j naming %s', (input, argument, message) => {
    const found = refusal(() => parseUnprotectedChange('payer_claims', input));
    expect(found.argument).toBe(argument);
    expect(found.message).toMatch(message);
  });

  it('refuse a field map key of another connector', () => {
    expect(refusal(() => parseUnprotectedChange('ehr', { fieldMap: { providerId: 'npi' } })).message).toMatch(/input.fieldMap is not a field of this connector's mapping \(providerId\)/);
  });
});

describe('protected changes', () => {
  it('take an endpoint (trailing slash dropped), null for the default, and the payer connectors’ payer ids', () => {
    expect(parseProtectedChange('payer_claims', { baseUrl: 'https://claims.acme.example/x12/', payerIds: { ACME: 'ACME-77' } })).toEqual({
      baseUrl: 'https://claims.acme.example/x12',
      payerIds: { ACME: 'ACME-77' },
    });
    expect(parseProtectedChange('ehr', { baseUrl: null })).toEqual({ baseUrl: null });
  });

  it.each([
    ['ehr', { baseUrl: 'ftp://files.example' }, 'input.baseUrl', /http\(s\) URL/],
    ['ehr', { baseUrl: 'https://user:secret@ehr.example' }, 'input.baseUrl', /no credentials/],
    ['ehr', { baseUrl: 'https://ehr.example/?token=1' }, 'input.baseUrl', /no credentials, query/],
    ['ehr', { payerIds: { ACME: 'X' } }, 'input.payerIds', /payer connectors only/],
    ['payer_claims', { payerIds: { 'AC ME': 'X' } }, 'input.payerIds.AC ME', /payer codes/],
    ['payer_claims', { payerIds: { ACME: 'a/b' } }, 'input.payerIds.ACME', /payer id/],
    ['payer_claims', {}, 'input', /asks for no change/],
  ] as const)('refuse for %s %j naming %s', (connector, input, argument, message) => {
    const found = refusal(() => parseProtectedChange(connector, input));
    expect(found.argument).toBe(argument);
    expect(found.message).toMatch(message);
  });
});

describe('the effective mapping', () => {
  it('is the connector’s defaults where the tenant set nothing', () => {
    const tenantId = randomUUID();
    expect(effectiveMapping(tenantId, 'payer_claims', undefined)).toMatchObject({
      enabled: true,
      baseUrl: null,
      timeoutMs: DEFAULT_TIMEOUT_MS.payer_claims,
      breaker: DEFAULT_BREAKER,
      fieldMap: { providerId: 'npi', placeOfService: '11', serviceTypeCodes: ['30'] },
      revision: 0,
    });
  });

  it('is the tenant’s value where it set one', () => {
    const mapping = effectiveMapping(randomUUID(), 'payer_claims', {
      tenant_id: randomUUID(),
      connector: 'payer_claims',
      enabled: false,
      base_url: 'https://claims.example',
      payer_ids: { A: 'B' },
      field_map: { placeOfService: '02' },
      timeout_ms: 900,
      breaker_failure_threshold: 2,
      breaker_window_ms: null,
      breaker_cool_down_ms: 250,
      revision: 3,
      updated_by: 'user:1',
      updated_at: new Date(),
    });
    expect(mapping).toMatchObject({ enabled: false, timeoutMs: 900, breaker: { failureThreshold: 2, windowMs: DEFAULT_BREAKER.windowMs, coolDownMs: 250 }, fieldMap: { placeOfService: '02', providerId: 'npi' } });
  });

  it('names connectors by their GraphQL values', () => {
    expect(connectorOf('PAYER_CLAIMS', 'input.connector')).toBe('payer_claims');
    expect(refusal(() => connectorOf('FAX', 'input.connector')).argument).toBe('input.connector');
  });
});
