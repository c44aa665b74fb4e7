/**
 * The period close (docs/revenue-recognition.md): for a month and currency, what was billed,
 * recognised, credited, collected and owed in commissions, the deferred balance at the month's
 * end per tenant and in total, and whether the figures reconcile with the invoices. Recognition
 * is revenue-recognition.ts; this file reads the rows and sums.
 */
import type { Tx } from '../../lib/db/index.js';
import { BadUserInputError } from '../../lib/errors.js';
import { mayActOnTenant } from '../../lib/tenant-context.js';
import { addDays, monthStart, nextMonthStart, todayUtc, type IsoDate } from './billing-math.js';
import { requireDate, requireFinanceReader } from './reconcile.js';
import { deferredBalance, recognisedBetween, type BalanceMovement, type IssuedInvoiceLines } from './revenue-recognition.js';
import type { ErpContext } from './subscriptions.js';

interface LoadedInvoice extends IssuedInvoiceLines {
  currency: string;
  periodStart: IsoDate;
}

interface LoadedNote {
  tenantId: string;
  currency: string;
  issuedOn: IsoDate;
  amountMinor: number;
  appliedMinor: number;
}

/** Everything issued through `through`: non-void invoices with their lines, credit notes, ledger movements (void invoices' left out). */
async function loadIssued(tx: Tx, through: IsoDate, filter: { currency: string | null; tenantId: string | null }) {
  const args = [through, filter.currency, filter.tenantId];
  // One statement at a time: a transaction's client runs its queries in turn anyway.
  const invoices = await tx.query<{ id: string; tenant_id: string; currency: string; issued_on: string; period_start: string; total_minor: string }>(
    `SELECT id, tenant_id, currency, issued_on::text, period_start::text, total_minor FROM invoices
      WHERE issued_on <= $1 AND status NOT IN ('draft', 'void') AND ($2::text IS NULL OR currency = $2) AND ($3::uuid IS NULL OR tenant_id = $3)`,
    args,
  );
  const lines = await tx.query<{ invoice_id: string; kind: string; amount_minor: string; covers_from: string; covers_to: string }>(
    `SELECT l.invoice_id, l.kind, l.amount_minor, l.covers_from::text, l.covers_to::text FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id
      WHERE i.issued_on <= $1 AND i.status NOT IN ('draft', 'void') AND ($2::text IS NULL OR i.currency = $2) AND ($3::uuid IS NULL OR i.tenant_id = $3)
      ORDER BY l.invoice_id, l.line_no`,
    args,
  );
  const notes = await tx.query<{ tenant_id: string; currency: string; issued_on: string; amount_minor: string; applied_to_invoice_minor: string }>(
    `SELECT n.tenant_id, i.currency, n.issued_on::text, n.amount_minor, n.applied_to_invoice_minor FROM credit_notes n JOIN invoices i ON i.id = n.invoice_id
      WHERE n.issued_on <= $1 AND ($2::text IS NULL OR i.currency = $2) AND ($3::uuid IS NULL OR n.tenant_id = $3)`,
    args,
  );
  const movements = await tx.query<{ tenant_id: string; currency: string; created_on: string; amount_minor: string }>(
    `SELECT e.tenant_id, e.currency, e.created_on::text, e.amount_minor FROM credit_balance_entries e
      WHERE e.created_on <= $1 AND ($2::text IS NULL OR e.currency = $2) AND ($3::uuid IS NULL OR e.tenant_id = $3)
        AND NOT EXISTS (SELECT 1 FROM invoices v WHERE v.id = e.invoice_id AND v.status = 'void')`,
    args,
  );
  const linesOf = new Map<string, IssuedInvoiceLines['lines'][number][]>();
  for (const line of lines) {
    const list = linesOf.get(line.invoice_id) ?? [];
    list.push({ kind: line.kind, amountMinor: Number(line.amount_minor), coversFrom: line.covers_from, coversTo: line.covers_to });
    linesOf.set(line.invoice_id, list);
  }
  return {
    invoices: invoices.map(
      (row): LoadedInvoice => ({
        tenantId: row.tenant_id,
        currency: row.currency,
        issuedOn: row.issued_on,
        periodStart: row.period_start,
        totalMinor: Number(row.total_minor),
        lines: linesOf.get(row.id) ?? [],
      }),
    ),
    notes: notes.map(
      (row): LoadedNote => ({
        tenantId: row.tenant_id,
        currency: row.currency,
        issuedOn: row.issued_on,
        amountMinor: Number(row.amount_minor),
        appliedMinor: Number(row.applied_to_invoice_minor),
      }),
    ),
    movements: movements.map((row) => ({ tenantId: row.tenant_id, currency: row.currency, on: row.created_on, amountMinor: Number(row.amount_minor) })),
  };
}

export interface PeriodClose {
  month: IsoDate;
  currency: string;
  billedMinor: number;
  recognisedMinor: number;
  creditedMinor: number;
  openingDeferredMinor: number;
  deferredBalanceMinor: number;
  collectedMinor: number;
  commissionsOwedMinor: number;
  invoiceCount: number;
  reconciles: boolean;
  deferredByTenant: { tenantId: string; deferredBalanceMinor: number }[];
}

const sum = (values: Iterable<number>) => {
  let total = 0;
  for (const value of values) total += value;
  return total;
};

/** The close of one month per currency (the one asked for, or every currency with activity). */
export async function periodClose(tx: Tx, month: IsoDate, currency: string | null): Promise<PeriodClose[]> {
  const from = monthStart(month);
  const end = addDays(nextMonthStart(from), -1);
  const opening = addDays(from, -1);
  const issued = await loadIssued(tx, end, { currency, tenantId: null });
  const payments = await tx.query<{ currency: string; amount: string }>(
    `SELECT i.currency, sum(p.amount_minor) AS amount FROM payments p JOIN invoices i ON i.id = p.invoice_id
      WHERE p.received_on >= $1 AND p.received_on <= $2 AND p.method <> 'credit_balance' AND ($3::text IS NULL OR i.currency = $3) GROUP BY 1`,
    [from, end, currency],
  );
  const commissions = await tx.query<{ currency: string; amount: string }>(
    `SELECT currency, sum(amount_minor) AS amount FROM commission_entries WHERE period_start = $1 AND ($2::text IS NULL OR currency = $2) GROUP BY 1`,
    [from, currency],
  );
  const collected = new Map(payments.map((row) => [row.currency, Number(row.amount)]));
  const owed = new Map(commissions.map((row) => [row.currency, Number(row.amount)]));
  const currencies = currency
    ? [currency]
    : [...new Set([...issued.invoices.map((i) => i.currency), ...issued.movements.map((m) => m.currency), ...collected.keys(), ...owed.keys()])].sort();

  return currencies.map((code) => {
    const invoices = issued.invoices.filter((i) => i.currency === code);
    const notes = issued.notes.filter((n) => n.currency === code && n.issuedOn >= from);
    const movements: BalanceMovement[] = issued.movements.filter((m) => m.currency === code);
    const ofMonth = invoices.filter((i) => i.periodStart >= from);
    const billed = sum(ofMonth.map((i) => i.totalMinor));
    const linesBilled = sum(ofMonth.flatMap((i) => i.lines.map((l) => l.amountMinor)));
    const earned = sum(invoices.flatMap((i) => i.lines.map((line) => recognisedBetween(line, i.issuedOn, from, end))));
    const recognised = earned - sum(notes.map((n) => n.amountMinor));
    const credited = sum(notes.map((n) => n.appliedMinor));
    const openingDeferred = deferredBalance(invoices, movements, opening);
    const closing = deferredBalance(invoices, movements, end);
    const tenants = [...new Set([...invoices.map((i) => i.tenantId), ...movements.map((m) => m.tenantId)])].sort();
    return {
      month: from,
      currency: code,
      billedMinor: billed,
      recognisedMinor: recognised,
      creditedMinor: credited,
      openingDeferredMinor: openingDeferred,
      deferredBalanceMinor: closing,
      collectedMinor: collected.get(code) ?? 0,
      commissionsOwedMinor: owed.get(code) ?? 0,
      invoiceCount: ofMonth.length,
      reconciles: billed === linesBilled && openingDeferred + billed - credited - recognised === closing,
      deferredByTenant: tenants.map((tenantId) => ({
        tenantId,
        deferredBalanceMinor: deferredBalance(
          invoices.filter((i) => i.tenantId === tenantId),
          movements.filter((m) => m.tenantId === tenantId),
          end,
        ),
      })),
    };
  });
}

/** One tenant's deferred balance at the end of `asOf`, in its currency (null when it was never billed). */
export async function tenantDeferredRevenue(tx: Tx, tenantId: string, asOf: IsoDate): Promise<number | null> {
  const issued = await loadIssued(tx, asOf, { currency: null, tenantId });
  if (issued.invoices.length === 0 && issued.movements.length === 0) return null;
  return deferredBalance(issued.invoices, issued.movements, asOf);
}

export const periodCloseResolvers = {
  Query: {
    periodClose: async (_: unknown, args: { month: string; currency?: string | null }, ctx: ErpContext) => {
      requireFinanceReader(ctx.tenant, 'read the period close');
      const month = requireDate(args.month, 'month');
      const currency = args.currency ?? null;
      if (currency !== null && !/^[A-Z]{3}$/.test(currency)) throw new BadUserInputError('currency must be a three-letter code such as USD', { argument: 'currency' });
      return ctx.db.withTenant(ctx.tenant, (tx) => periodClose(tx, month, currency));
    },
  },
  Tenant: {
    deferredRevenueMinor: async (tenant: { id: string }, args: { asOf?: string | null }, ctx: ErpContext) => {
      if (!mayActOnTenant(ctx.tenant, tenant.id)) return null;
      const asOf = args.asOf == null ? todayUtc() : requireDate(args.asOf, 'asOf');
      return ctx.db.withTenant(ctx.tenant, (tx) => tenantDeferredRevenue(tx, tenant.id, asOf));
    },
  },
};
