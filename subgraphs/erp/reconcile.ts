/**
 * Billing accuracy (docs/revenue-recognition.md): every invoice of a month recomputed from its
 * inputs as they stood when it was issued — the subscription history it saw (invoices.history_seq),
 * the usage received by its cutoff less what earlier invoices charged, the catalog — with the same
 * pure function the billing run used (invoice-lines.ts), and compared line by line. The share of
 * invoices that reconcile exactly is the billing accuracy figure.
 */
import type { Tx } from '../../lib/db/index.js';
import { BadUserInputError, InsufficientScopeError } from '../../lib/errors.js';
import { requireUuid } from '../../lib/ids.js';
import type { TenantContext } from '../../lib/tenant-context.js';
import { isIsoDate, monthStart, nextMonthStart, type IsoDate } from './billing-math.js';
import { loadHistory } from './billing.js';
import { loadCatalog, type Catalog } from './catalog.js';
import { computeInvoiceLines, creditLine, type InvoiceLine, type UsageMonth } from './invoice-lines.js';
import type { ErpContext } from './subscriptions.js';

/** A line as stored. */
export interface StoredLine {
  kind: string;
  item: string | null;
  quantity: number;
  amountMinor: number;
}

/** One way an invoice differs from its recomputation. */
export interface Difference {
  /** The line's kind, `total`, or `credit_balance` (the ledger entry against the credit line). */
  kind: string;
  item: string | null;
  expectedMinor: number | null;
  actualMinor: number | null;
  note: string;
}

/**
 * The differences between the lines an invoice should hold and those it holds, position by
 * position (the engine is deterministic and lines are written in its order), then the totals.
 */
export function compareInvoice(expected: readonly StoredLine[], actual: readonly StoredLine[], actualTotalMinor: number): Difference[] {
  const differences: Difference[] = [];
  for (let i = 0; i < Math.max(expected.length, actual.length); i += 1) {
    const want = expected[i];
    const have = actual[i];
    if (!have) {
      differences.push({ kind: want!.kind, item: want!.item, expectedMinor: want!.amountMinor, actualMinor: null, note: `line ${i + 1} missing` });
    } else if (!want) {
      differences.push({ kind: have.kind, item: have.item, expectedMinor: null, actualMinor: have.amountMinor, note: `line ${i + 1} not expected` });
    } else if (want.kind !== have.kind || want.item !== have.item) {
      differences.push({ kind: have.kind, item: have.item, expectedMinor: want.amountMinor, actualMinor: have.amountMinor, note: `line ${i + 1} is ${have.kind} ${have.item ?? ''}, expected ${want.kind} ${want.item ?? ''}`.trim() });
    } else if (want.quantity !== have.quantity || want.amountMinor !== have.amountMinor) {
      const notes = [];
      if (want.quantity !== have.quantity) notes.push(`quantity ${have.quantity}, expected ${want.quantity}`);
      if (want.amountMinor !== have.amountMinor) notes.push(`amount ${have.amountMinor}, expected ${want.amountMinor}`);
      differences.push({ kind: have.kind, item: have.item, expectedMinor: want.amountMinor, actualMinor: have.amountMinor, note: `line ${i + 1}: ${notes.join('; ')}` });
    }
  }
  const expectedTotal = expected.reduce((sum, line) => sum + line.amountMinor, 0);
  if (expectedTotal !== actualTotalMinor) {
    differences.push({ kind: 'total', item: null, expectedMinor: expectedTotal, actualMinor: actualTotalMinor, note: 'invoice total' });
  }
  return differences;
}

/** The billing accuracy figure: the share of invoices that reconcile, 1 when none were checked. */
export const accuracyOf = (checked: number, matching: number) => (checked === 0 ? 1 : matching / checked);

interface InvoiceToCheck {
  id: string;
  number: string;
  tenant_id: string;
  period_start: string;
  period_end: string;
  total_minor: string;
  usage_cutoff_at: Date;
  history_seq: string | null;
  created_at: Date;
}

/** The usage an invoice saw: events received by its cutoff, less what earlier invoices (not void then) charged. */
async function usageAtIssue(tx: Tx, invoice: InvoiceToCheck): Promise<UsageMonth[]> {
  // One statement at a time: a transaction's client runs its queries in turn anyway.
  const totals = await tx.query<{ meter: string; month: string; total: string }>(
    `SELECT meter, date_trunc('month', occurred_at AT TIME ZONE 'UTC')::date::text AS month, sum(quantity) AS total
       FROM usage_events WHERE tenant_id = $1 AND received_at <= $2 AND date_trunc('month', occurred_at AT TIME ZONE 'UTC')::date < $3::date
      GROUP BY 1, 2`,
    [invoice.tenant_id, invoice.usage_cutoff_at, invoice.period_start],
  );
  const billed = await tx.query<{ item: string; month: string; quantity: string }>(
    `SELECT l.item, l.covers_from::text AS month, sum(l.quantity) AS quantity
       FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id
      WHERE i.tenant_id = $1 AND i.period_start < $2 AND i.status <> 'draft' AND (i.status <> 'void' OR i.voided_at > $3) AND l.kind = 'usage'
      GROUP BY 1, 2`,
    [invoice.tenant_id, invoice.period_start, invoice.usage_cutoff_at],
  );
  const before = new Map(billed.map((row) => [`${row.item}|${row.month}`, Number(row.quantity)]));
  return totals.map((row) => ({ meter: row.meter, month: row.month, total: Number(row.total), billedBefore: before.get(`${row.meter}|${row.month}`) ?? 0 }));
}

/** The credit line the invoice should hold, against the balance before its own ledger entry. */
async function expectedCredit(tx: Tx, invoice: InvoiceToCheck, subtotal: number) {
  const [entry] = await tx.query<{ seq: string; amount_minor: string }>('SELECT seq, amount_minor FROM credit_balance_entries WHERE invoice_id = $1 ORDER BY seq LIMIT 1', [invoice.id]);
  // Without an entry of its own the invoice drew nothing: the balance it saw is taken as none.
  let balance = 0;
  if (entry) {
    const [row] = await tx.query<{ balance: string }>('SELECT coalesce(sum(amount_minor), 0) AS balance FROM credit_balance_entries WHERE tenant_id = $1 AND seq < $2', [
      invoice.tenant_id,
      entry.seq,
    ]);
    balance = Number(row!.balance);
  }
  const period = { start: invoice.period_start, end: invoice.period_end };
  return { ...creditLine(subtotal, balance, period), ledgerMinor: entry ? Number(entry.amount_minor) : 0 };
}

const stored = (line: InvoiceLine): StoredLine => ({ kind: line.kind, item: line.item, quantity: line.quantity, amountMinor: line.amountMinor });

/** One invoice against its recomputation. */
async function reconcileOne(tx: Tx, invoice: InvoiceToCheck, catalog: Catalog): Promise<Difference[]> {
  let upTo = invoice.history_seq === null ? null : Number(invoice.history_seq);
  if (upTo === null) {
    const [row] = await tx.query<{ seq: string | null }>('SELECT max(seq) AS seq FROM subscription_history WHERE tenant_id = $1 AND recorded_at <= $2', [
      invoice.tenant_id,
      invoice.created_at,
    ]);
    upTo = Number(row!.seq ?? 0);
  }
  const history = (await loadHistory(tx, invoice.tenant_id)).filter((row) => row.seq <= upTo);
  const actual = (
    await tx.query<{ kind: string; item: string | null; quantity: string; amount_minor: string }>(
      'SELECT kind, item, quantity, amount_minor FROM invoice_lines WHERE invoice_id = $1 ORDER BY line_no',
      [invoice.id],
    )
  ).map((row) => ({ kind: row.kind, item: row.item, quantity: Number(row.quantity), amountMinor: Number(row.amount_minor) }));
  if (history.length === 0) return [{ kind: 'total', item: null, expectedMinor: null, actualMinor: Number(invoice.total_minor), note: 'no subscription history at issue' }];
  const lines = computeInvoiceLines(history, { start: invoice.period_start, end: invoice.period_end }, await usageAtIssue(tx, invoice), catalog);
  const subtotal = lines.reduce((sum, line) => sum + line.amountMinor, 0);
  const credit = await expectedCredit(tx, invoice, subtotal);
  const expected = (credit.line ? [...lines, credit.line] : lines).map(stored);
  const differences = compareInvoice(expected, actual, Number(invoice.total_minor));
  if (credit.ledgerMinor !== credit.balanceChange) {
    differences.push({ kind: 'credit_balance', item: null, expectedMinor: credit.balanceChange, actualMinor: credit.ledgerMinor, note: 'credit balance entry of the invoice' });
  }
  return differences;
}

export interface InvoiceReconciliation {
  period: IsoDate;
  invoicesChecked: number;
  invoicesMatching: number;
  accuracy: number;
  differences: (Difference & { invoice: { id: string; number: string }; tenantId: string })[];
}

/** Reconciles the non-void invoices whose period starts in the month of `period` (one tenant's, or all). */
export async function reconcileInvoices(tx: Tx, period: IsoDate, tenantId: string | null): Promise<InvoiceReconciliation> {
  const month = monthStart(period);
  const invoices = await tx.query<InvoiceToCheck>(
    `SELECT id, number, tenant_id, period_start::text, period_end::text, total_minor, usage_cutoff_at, history_seq, created_at
       FROM invoices WHERE period_start >= $1 AND period_start < $2 AND status NOT IN ('draft', 'void') AND ($3::uuid IS NULL OR tenant_id = $3)
      ORDER BY number`,
    [month, nextMonthStart(month), tenantId],
  );
  const catalog = await loadCatalog(tx);
  const result: InvoiceReconciliation = { period: month, invoicesChecked: invoices.length, invoicesMatching: 0, accuracy: 1, differences: [] };
  for (const invoice of invoices) {
    const differences = await reconcileOne(tx, invoice, catalog);
    if (differences.length === 0) result.invoicesMatching += 1;
    for (const difference of differences) result.differences.push({ ...difference, invoice: { id: invoice.id, number: invoice.number }, tenantId: invoice.tenant_id });
  }
  result.accuracy = accuracyOf(result.invoicesChecked, result.invoicesMatching);
  return result;
}

/**
 * Fleet-wide finance reads: platform staff reading at platform level with billing:read (platform
 * admins and analysts); a tenant's own roles never, whatever their scopes.
 */
export function requireFinanceReader(tenant: TenantContext, what: string): void {
  if (tenant.access !== 'platform' || !tenant.scopes.includes('billing:read')) {
    throw new InsufficientScopeError(`Only platform staff with billing:read ${what}`);
  }
}

/** A `Date` argument, checked. */
export function requireDate(value: unknown, argument: string): IsoDate {
  if (!isIsoDate(value)) throw new BadUserInputError(`${argument} must be a date written YYYY-MM-DD`, { argument });
  return value;
}

export const reconcileResolvers = {
  Query: {
    reconcileInvoices: async (_: unknown, args: { period: string; tenantId?: string | null }, ctx: ErpContext) => {
      requireFinanceReader(ctx.tenant, 'reconcile invoices');
      const period = requireDate(args.period, 'period');
      const tenantId = args.tenantId != null ? requireUuid(args.tenantId, 'tenantId') : null;
      return ctx.db.withTenant(ctx.tenant, (tx) => reconcileInvoices(tx, period, tenantId));
    },
  },
};
