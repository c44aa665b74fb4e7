import { BadUserInputError } from './errors.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True for a canonical UUID string. */
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

/** Returns `value` lower-cased, or throws BAD_USER_INPUT naming the argument. */
export function requireUuid(value: unknown, argument: string): string {
  if (!isUuid(value)) throw new BadUserInputError(`${argument} must be a UUID`, { argument });
  return value.toLowerCase();
}
