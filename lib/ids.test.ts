/** Ids from clients are checked before they reach SQL: only canonical UUIDs, compared lower-cased. */
import { describe, expect, it } from 'vitest';
import { BadUserInputError } from './errors.js';
import { isUuid, requireUuid } from './ids.js';

const ID = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';

describe('isUuid', () => {
  it('accepts a canonical UUID in either case', () => {
    expect(isUuid(ID)).toBe(true);
    expect(isUuid(ID.toUpperCase())).toBe(true);
  });

  it.each([
    ['a number', 42],
    ['null', null],
    ['an object', { id: ID }],
    ['no hyphens', ID.replace(/-/g, '')],
    ['braces', `{${ID}}`],
    ['a trailing newline', `${ID}\n`],
    ['a leading space', ` ${ID}`],
    ['a non-hex digit', ID.replace('f', 'g')],
    ['one digit short', ID.slice(0, -1)],
    ['SQL after it', `${ID}' OR '1'='1`],
  ])('refuses %s', (_case, value) => {
    expect(isUuid(value)).toBe(false);
  });
});

describe('requireUuid', () => {
  it('returns the id lower-cased, so it matches the stored form', () => {
    expect(requireUuid(ID.toUpperCase(), 'id')).toBe(ID);
  });

  it('throws BAD_USER_INPUT naming the argument', () => {
    let thrown: unknown;
    try {
      requireUuid('patient-1', 'input.patientIds[2]');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(BadUserInputError);
    expect(thrown).toMatchObject({ message: 'input.patientIds[2] must be a UUID', extensions: { code: 'BAD_USER_INPUT', argument: 'input.patientIds[2]' } });
  });
});
