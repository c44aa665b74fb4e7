/**
 * Money for FHIR: amounts are kept as integer minor units (cents) everywhere in the platform and
 * FHIR writes decimals. The conversion is done on the digits, never by floating-point division
 * or sums: 12345 USD minor units are the decimal text "123.45", and the JSON number FHIR gets is
 * parsed from that text, which JSON.stringify writes back digit for digit (every amount up to
 * 15 significant digits survives the round trip exactly; larger ones are refused).
 */
import type { Money } from '@medplum/fhirtypes';

/** Amounts beyond 15 significant digits would not survive a JSON number exactly. */
export const MAX_MINOR_UNITS = 999_999_999_999_999;

/** Minor-unit digits of an ISO 4217 currency (USD 2, JPY 0, BHD 3), from the runtime's ICU data. */
export function currencyDigits(currency: string): number {
  if (!/^[A-Z]{3}$/.test(currency)) throw new RangeError(`${JSON.stringify(currency)} is not an ISO 4217 currency code`);
  const digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits;
  if (digits === undefined || digits < 0 || digits > 3) throw new RangeError(`${currency} has no minor-unit exponent this platform bills in`);
  return digits;
}

/** The exact decimal text of an amount in minor units: (12345, 'USD') → "123.45", (-5, 'USD') → "-0.05", (500, 'JPY') → "500". */
export function minorToDecimal(minor: number, currency: string): string {
  if (!Number.isSafeInteger(minor) || Math.abs(minor) > MAX_MINOR_UNITS) throw new RangeError('an amount must be a whole number of minor units of at most 15 digits');
  const digits = currencyDigits(currency);
  const sign = minor < 0 ? '-' : '';
  const text = String(Math.abs(minor)).padStart(digits + 1, '0');
  return digits === 0 ? `${sign}${text}` : `${sign}${text.slice(0, -digits)}.${text.slice(-digits)}`;
}

/** A FHIR Money of an amount in minor units, its value taken from the exact decimal text. */
export function toFhirMoney(minor: number, currency: string): Money & { value: number } {
  // FHIR types the code as an ISO 4217 union; minorToDecimal has checked that the runtime knows it.
  return { value: Number(minorToDecimal(minor, currency)), currency: currency as NonNullable<Money['currency']> };
}
