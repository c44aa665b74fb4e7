/** The NPI check digit (Luhn over 80840 + the first nine digits), as the database checks it. */
import { describe, expect, it } from 'vitest';
import { withNpiCheckDigit } from './demo-records.js';
import { isValidNpi } from './providers.js';

describe('isValidNpi', () => {
  it("accepts CMS's worked example and other valid NPIs", () => {
    // CMS, "Requirements for the NPI check digit": 123456789 has check digit 3.
    expect(isValidNpi('1234567893')).toBe(true);
    expect(isValidNpi('1245319599')).toBe(true);
    expect(isValidNpi('1003000126')).toBe(true);
  });

  it('refuses a wrong check digit, every single-digit typo of a valid one, and anything not 10 digits', () => {
    expect(isValidNpi('1234567890')).toBe(false);
    for (let i = 0; i < 10; i++) {
      for (let d = 0; d <= 9; d++) {
        const typo = `${'1234567893'.slice(0, i)}${d}${'1234567893'.slice(i + 1)}`;
        if (typo !== '1234567893') expect(isValidNpi(typo), typo).toBe(false);
      }
    }
    expect(isValidNpi('123456789')).toBe(false);
    expect(isValidNpi('12345678931')).toBe(false);
    expect(isValidNpi('12345678a3')).toBe(false);
  });

  it('completes nine digits with their check digit', () => {
    expect(withNpiCheckDigit('123456789')).toBe('1234567893');
    expect(() => withNpiCheckDigit('12345')).toThrow();
  });
});
