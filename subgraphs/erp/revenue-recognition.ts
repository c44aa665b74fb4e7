/**
 * Revenue recognition, as pure functions of issued invoices and credit notes
 * (docs/revenue-recognition.md): what each invoice line earns on which day, and what of it is
 * still deferred on a date. period-close.ts reads the rows and sums these per month.
 *
 * - A recurring, add-on or proration line earns its amount evenly by day over the days it
 *   covers, [coversFrom, coversTo): a monthly invoice earns in its month, a line covering twelve
 *   months earns over those twelve (by day, so a month earns its days' share).
 * - A day's share is recognised on that day, or on the invoice's issue date when the day is
 *   earlier: revenue never lands in a month that has closed. So a proration of the previous
 *   period, and usage (which covers an earlier month), are recognised when billed.
 * - A credit line (credit balance applied or carried) is not revenue: it moves the tenant's
 *   credit balance, which is part of the deferred balance. A credit note reduces recognition in
 *   full on the day it is issued.
 */
import { addDays, daysBetween, type IsoDate } from './billing-math.js';

/**
 * `amountMinor` split into `parts` integers that add up to it exactly, by cumulative rounding:
 * part i is round(a·(i+1)/n) − round(a·i/n), rounded half up on the magnitude. The parts differ
 * by at most one minor unit and the larger ones are spread evenly, not heaped at one end.
 */
export function spreadEvenly(amountMinor: number, parts: number): number[] {
  if (!Number.isSafeInteger(amountMinor) || !Number.isSafeInteger(parts) || parts < 1) {
    throw new RangeError(`spreadEvenly(${amountMinor}, ${parts}): a whole amount and at least one part`);
  }
  const sign = amountMinor < 0 ? -1 : 1;
  const magnitude = BigInt(Math.abs(amountMinor));
  const n = BigInt(parts);
  // round(a·k/n), half up: ⌊(2·a·k + n) / 2n⌋ (in BigInt: a·k can pass 2^53).
  const cumulative = (k: number) => (2n * magnitude * BigInt(k) + n) / (2n * n);
  const out: number[] = [];
  let before = 0n;
  for (let k = 1; k <= parts; k += 1) {
    const upTo = cumulative(k);
    out.push(sign * Number(upTo - before));
    before = upTo;
  }
  return out;
}

/** What recognition needs of an invoice line. */
export interface RecognisableLine {
  kind: string;
  amountMinor: number;
  coversFrom: IsoDate;
  /** Exclusive for recurring, add-on and proration lines; a usage line's last day. */
  coversTo: IsoDate;
}

/** Lines that earn over the days they cover; other revenue lines earn on issue. */
const SPREAD_KINDS: ReadonlySet<string> = new Set(['recurring', 'addon', 'proration']);
/** Lines that are not revenue: they move the credit balance. */
export const NON_REVENUE_KINDS: ReadonlySet<string> = new Set(['credit']);

export interface DayAmount {
  day: IsoDate;
  amountMinor: number;
}

/**
 * The days a line's amount is recognised on and how much on each: its covered days' equal
 * shares, each on its day or on `issuedOn` when that is later (one entry for that day). Empty
 * for a credit line. The amounts add up to the line's amount exactly.
 */
export function recognitionOf(line: RecognisableLine, issuedOn: IsoDate): DayAmount[] {
  if (NON_REVENUE_KINDS.has(line.kind)) return [];
  const days = SPREAD_KINDS.has(line.kind) ? daysBetween(line.coversFrom, line.coversTo) : 0;
  if (days <= 1) return line.amountMinor === 0 ? [] : [{ day: maxDate(days === 1 ? line.coversFrom : issuedOn, issuedOn), amountMinor: line.amountMinor }];
  const shares = spreadEvenly(line.amountMinor, days);
  const out: DayAmount[] = [];
  let caughtUp = 0;
  shares.forEach((amount, i) => {
    const day = addDays(line.coversFrom, i);
    if (day <= issuedOn) caughtUp += amount;
    else out.push({ day, amountMinor: amount });
  });
  if (line.coversFrom <= issuedOn) out.unshift({ day: issuedOn, amountMinor: caughtUp });
  return out.filter((entry) => entry.amountMinor !== 0);
}

const maxDate = (a: IsoDate, b: IsoDate) => (a > b ? a : b);

/** The part of a line recognised from `from` through `through` (both inclusive; `from` null: since the start). */
export function recognisedBetween(line: RecognisableLine, issuedOn: IsoDate, from: IsoDate | null, through: IsoDate): number {
  let sum = 0;
  for (const entry of recognitionOf(line, issuedOn)) if ((from === null || entry.day >= from) && entry.day <= through) sum += entry.amountMinor;
  return sum;
}

/** An issued (non-void) invoice with its lines, as recognition reads it. */
export interface IssuedInvoiceLines {
  tenantId: string;
  issuedOn: IsoDate;
  totalMinor: number;
  lines: readonly RecognisableLine[];
}

/** A dated movement of the tenant's credit balance (credit_balance_entries, void invoices' left out). */
export interface BalanceMovement {
  tenantId: string;
  on: IsoDate;
  amountMinor: number;
}

/**
 * The deferred balance at the end of `asOf`, from its parts: what issued revenue lines have not
 * yet earned, plus the credit balance tenants hold (billed, owed back as credit, not earned).
 * Equal to billed − credited − recognised to date while every invoice's lines add up to its total
 * and its credit line to its ledger entry: period-close.ts checks that equality.
 */
export function deferredBalance(invoices: readonly IssuedInvoiceLines[], movements: readonly BalanceMovement[], asOf: IsoDate): number {
  let deferred = 0;
  for (const invoice of invoices) {
    if (invoice.issuedOn > asOf) continue;
    for (const line of invoice.lines) {
      if (NON_REVENUE_KINDS.has(line.kind)) continue;
      deferred += line.amountMinor - recognisedBetween(line, invoice.issuedOn, null, asOf);
    }
  }
  for (const movement of movements) if (movement.on <= asOf) deferred += movement.amountMinor;
  return deferred;
}
