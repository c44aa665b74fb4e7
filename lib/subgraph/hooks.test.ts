/**
 * What an error log line may carry. The request hooks themselves are exercised on both servers
 * by adapters.int.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { safeErrorFields } from './hooks.js';

describe('safeErrorFields', () => {
  it('keeps name, message, SQLSTATE and stack, never the driver detail that can quote row values', () => {
    const error = Object.assign(new Error('duplicate key value violates unique constraint "patients_mrn_key"'), {
      code: '23505',
      detail: 'Key (mrn)=(MRN-0042) already exists.',
      where: 'SQL statement',
    });
    const fields = safeErrorFields(error);
    expect(Object.keys(fields).sort()).toEqual(['code', 'message', 'name', 'stack']);
    expect(fields).toMatchObject({ name: 'Error', code: '23505' });
    expect(JSON.stringify(fields)).not.toContain('MRN-0042');
  });

  it('drops a code that is not a string, and describes a thrown non-error by its text', () => {
    expect(safeErrorFields(Object.assign(new Error('x'), { code: 42 })).code).toBeUndefined();
    expect(safeErrorFields('plain text')).toEqual({ message: 'plain text' });
  });
});
