/** Minor units to FHIR decimals, exactly: digits moved, never divided. */
import { describe, expect, it } from 'vitest';
import { currencyDigits, minorToDecimal, toFhirMoney } from './money.js';

describe('minorToDecimal', () => {
  it('moves the decimal point by the currency exponent', () => {
    expect(minorToDecimal(12345, 'USD')).toBe('123.45');
    expect(minorToDecimal(5, 'EUR')).toBe('0.05');
    expect(minorToDecimal(-5, 'USD')).toBe('-0.05');
    expect(minorToDecimal(0, 'GBP')).toBe('0.00');
    expect(minorToDecimal(500, 'JPY')).toBe('500');
    expect(minorToDecimal(1234, 'BHD')).toBe('1.234');
    expect(minorToDecimal(999_999_999_999_999, 'USD')).toBe('9999999999999.99');
  });

  it('refuses fractions of a minor unit, unsafe integers and unknown codes', () => {
    expect(() => minorToDecimal(1.5, 'USD')).toThrow(RangeError);
    expect(() => minorToDecimal(2 ** 53, 'USD')).toThrow(RangeError);
    expect(() => minorToDecimal(100, 'usd')).toThrow(RangeError);
    expect(currencyDigits('USD')).toBe(2);
  });
});

describe('toFhirMoney', () => {
  it('serialises to the same digits as the decimal text, for amounts float arithmetic gets wrong', () => {
    // 0.1 + 0.2 and 1.15 * 100 are the classic floating-point errors; here no arithmetic touches the value.
    for (const minor of [1, 10, 20, 30, 115, 1015, 4_999_999, 123_456_789_012_345, 999_999_999_999_999]) {
      const decimal = minorToDecimal(minor, 'USD');
      const json = JSON.stringify(toFhirMoney(minor, 'USD'));
      // The JSON number is the decimal text without trailing zeros (FHIR's JSON keeps numbers as numbers).
      expect(json).toBe(`{"value":${decimal.replace(/\.?0+$/, '')},"currency":"USD"}`);
    }
  });

  it('round-trips every cent amount of a wide sweep exactly', () => {
    for (let minor = -20_000; minor <= 20_000; minor += 7) {
      const { value } = toFhirMoney(minor, 'USD');
      expect(Math.round(value * 100)).toBe(minor);
      expect(String(value)).toBe(String(Number(minorToDecimal(minor, 'USD'))));
    }
  });
});
