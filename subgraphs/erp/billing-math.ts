/**
 * The arithmetic of billing, exact to the minor unit: calendar dates in UTC as `YYYY-MM-DD`
 * strings (never a time zone in between), and amounts as integers.
 *
 * Rounding, everywhere: a prorated amount is `amount × days / periodDays` rounded half up to the
 * minor unit (half a cent and more goes up), once per invoice line. Overage is charged per
 * started block: ⌈units beyond the included quantity / block size⌉ × block price.
 */

/** A calendar date, `YYYY-MM-DD`. */
export type IsoDate = string;

const DAY_MS = 86_400_000;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

const toMs = (date: IsoDate) => Date.parse(`${date}T00:00:00Z`);
const fromMs = (ms: number): IsoDate => new Date(ms).toISOString().slice(0, 10);

/** True for a real calendar date written `YYYY-MM-DD` (not 2026-02-30). */
export function isIsoDate(value: unknown): value is IsoDate {
  return typeof value === 'string' && ISO_DATE.test(value) && !Number.isNaN(toMs(value)) && fromMs(toMs(value)) === value;
}

export const todayUtc = (now = new Date()): IsoDate => now.toISOString().slice(0, 10);
export const addDays = (date: IsoDate, days: number): IsoDate => fromMs(toMs(date) + days * DAY_MS);
/** Whole days from `from` to `to` (negative when `to` is earlier). */
export const daysBetween = (from: IsoDate, to: IsoDate): number => Math.round((toMs(to) - toMs(from)) / DAY_MS);
export const monthStart = (date: IsoDate): IsoDate => `${date.slice(0, 7)}-01`;
export function nextMonthStart(date: IsoDate): IsoDate {
  const d = new Date(toMs(monthStart(date)));
  d.setUTCMonth(d.getUTCMonth() + 1);
  return fromMs(d.getTime());
}
export const daysInMonth = (date: IsoDate): number => daysBetween(monthStart(date), nextMonthStart(date));
/** `date` plus `months` calendar months, the day clamped to the month's last. */
export function addMonths(date: IsoDate, months: number): IsoDate {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  const first = new Date(Date.UTC(year, month - 1 + months, 1));
  const last = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 0)).getUTCDate();
  return fromMs(Date.UTC(first.getUTCFullYear(), first.getUTCMonth(), Math.min(day, last)));
}

/** `amount × days / periodDays`, rounded half up to the minor unit. */
export function prorate(amountMinor: number, days: number, periodDays: number): number {
  if (!Number.isSafeInteger(amountMinor) || !Number.isInteger(days) || !Number.isInteger(periodDays) || periodDays <= 0 || days < 0) {
    throw new RangeError(`prorate(${amountMinor}, ${days}, ${periodDays}): whole numbers, days ≥ 0 and a period of at least a day`);
  }
  const sign = amountMinor < 0 ? -1 : 1;
  const scaled = BigInt(Math.abs(amountMinor)) * BigInt(days);
  // Half up: ⌊(2·a·d + p) / 2p⌋, in integers (a·d can pass 2^53 for large contracts).
  return sign * Number((2n * scaled + BigInt(periodDays)) / (2n * BigInt(periodDays)));
}

/** The overage charge of `quantity` units against an allowance: per started block beyond it. */
export function overageCharge(quantity: number, includedQuantity: number, blockSize: number, blockPriceMinor: number): number {
  const beyond = Math.max(0, quantity - includedQuantity);
  return Math.ceil(beyond / blockSize) * blockPriceMinor;
}
