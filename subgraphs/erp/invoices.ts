/**
 * Invoices once issued (billing.ts issues them): simulated payments, credit notes, voiding,
 * dunning, partner commissions earned and clawed back, and the jobs that run the billing — a
 * sweep that hands each tenant with something due a billing job of its own.
 */
import { randomUUID } from 'node:crypto';
import type { Tx } from '../../lib/db/index.js';
import { BadUserInputError, IdempotencyKeyReusedError, InvalidTransitionError, NotFoundError } from '../../lib/errors.js';
import { publishEvent } from '../../lib/events/outbox.js';
import { requireUuid } from '../../lib/ids.js';
import { defineQueue } from '../../lib/jobs/queues.js';
import type { JobDefinition, JobRun } from '../../lib/jobs/worker.js';
import { actingOn, mayActOnTenant, requirePlatformAdmin, type TenantContext } from '../../lib/tenant-context.js';
import { addDays, isIsoDate, monthStart, todayUtc, type IsoDate } from './billing-math.js';
import { advanceBilling, loadHistory, lockTenantBilling, recordChange, stateOf } from './billing.js';
import { effectiveDate } from './subscription-changes.js';
import type { ErpContext } from './subscriptions.js';

export interface InvoiceRow {
  id: string;
  tenant_id: string;
  number: string;
  issuer: string;
  currency: string;
  period_start: string;
  period_end: string;
  catalog_version: number;
  issued_on: string;
  due_on: string;
  status: string;
  subtotal_minor: string;
  tax_minor: string;
  total_minor: string;
  paid_minor: string;
  credited_minor: string;
  usage_cutoff_at: Date;
  paid_at: Date | null;
}

export const INVOICE_COLUMNS = `id, tenant_id, number, issuer, currency, period_start::text, period_end::text, catalog_version, issued_on::text, due_on::text,
  status, subtotal_minor, tax_minor, total_minor, paid_minor, credited_minor, usage_cutoff_at, paid_at`;

export const outstandingOf = (invoice: Pick<InvoiceRow, 'total_minor' | 'paid_minor' | 'credited_minor'>) =>
  Number(invoice.total_minor) - Number(invoice.paid_minor) - Number(invoice.credited_minor);

async function lockInvoice(tx: Tx, invoiceId: string): Promise<InvoiceRow> {
  const [invoice] = await tx.query<InvoiceRow>(`SELECT ${INVOICE_COLUMNS} FROM invoices WHERE id = $1`, [invoiceId]);
  if (!invoice) throw new NotFoundError('No such invoice');
  await lockTenantBilling(tx, invoice.tenant_id);
  const [locked] = await tx.query<InvoiceRow>(`SELECT ${INVOICE_COLUMNS} FROM invoices WHERE id = $1 FOR UPDATE`, [invoiceId]);
  return locked!;
}

/** The invoice's tenant, found at platform level, after checking the caller may act on it. */
async function invoiceTenant(ctx: ErpContext, invoiceId: string): Promise<string> {
  const [row] = await ctx.db.withTenant(ctx.tenant, (tx) => tx.query<{ tenant_id: string }>('SELECT tenant_id FROM invoices WHERE id = $1', [invoiceId]));
  if (!row || !mayActOnTenant(ctx.tenant, row.tenant_id)) throw new NotFoundError('No such invoice');
  return row.tenant_id;
}

function requireAmount(value: unknown, argument: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new BadUserInputError(`${argument} must be a whole number of minor units, at least 1`, { argument });
  }
  return value;
}

/** The commission rate (basis points) the tenant's partner earns on an invoice, if any. */
async function commissionRate(tx: Tx, tenantId: string, invoiceId: string): Promise<{ partnerId: string; rate: number } | null> {
  const [row] = await tx.query<{ partner_id: string; rate_basis_points: number }>(
    `SELECT a.partner_id, r.rate_basis_points
       FROM partner_attributions a
       JOIN commission_rates r ON r.partner_id = a.partner_id
      WHERE a.tenant_id = $1
        AND (r.plan_code IS NULL OR r.plan_code = (SELECT item FROM invoice_lines WHERE invoice_id = $2 AND kind = 'recurring' ORDER BY line_no LIMIT 1))
      ORDER BY r.plan_code IS NULL, r.plan_code LIMIT 1`,
    [tenantId, invoiceId],
  );
  return row ? { partnerId: row.partner_id, rate: row.rate_basis_points } : null;
}

/** `amount × rate / 10 000`, rounded half up on its magnitude. */
export const commissionOf = (amountMinor: number, rateBasisPoints: number) => Math.sign(amountMinor) * Math.floor((Math.abs(amountMinor) * rateBasisPoints + 5000) / 10_000);

/**
 * Once an invoice is settled: the subscription recovers from PAST_DUE when nothing else is
 * overdue, and the event lets the control plane lift a suspension for non-payment.
 */
async function afterSettlement(tx: Tx, context: TenantContext, invoice: InvoiceRow, on: IsoDate): Promise<void> {
  const [overdue] = await tx.query<{ past_due: number; suspend: number }>(
    `SELECT count(*) FILTER (WHERE d.stage = 'past_due')::int AS past_due, count(*) FILTER (WHERE d.stage = 'suspend')::int AS suspend
       FROM invoices i JOIN invoice_dunning d ON d.invoice_id = i.id
      WHERE i.tenant_id = $1 AND i.status = 'open'`,
    [invoice.tenant_id],
  );
  if (overdue!.past_due === 0) {
    const history = await loadHistory(tx, invoice.tenant_id);
    const current = history[history.length - 1];
    if (current?.status === 'past_due') {
      const day = on < current.effectiveOn ? current.effectiveOn : on;
      await recordChange(tx, { context, actor: context.principal.id }, invoice.tenant_id, 'recovered', day, { ...stateOf(current), status: 'active' });
    }
  }
  await publishEvent(tx, 'erp.invoice.settled', { ...context, access: 'tenant', tenantId: invoice.tenant_id }, {
    invoiceId: invoice.id,
    number: invoice.number,
    overdueInvoicesLeft: overdue!.suspend,
  });
}

interface PaymentInput {
  invoiceId: string;
  amountMinor: number;
  receivedOn?: string | null;
  reference: string;
}

/**
 * Records a payment of an open, locked invoice (the caller has checked its input and reference):
 * the payment row, the invoice paid in part or in full, and on full payment the partner's
 * commission and the settlement (afterSettlement). In the caller's transaction, bound to the tenant.
 */
export async function applyPayment(tx: Tx, acting: TenantContext, invoice: InvoiceRow, payment: { amount: number; receivedOn: IsoDate; reference: string }): Promise<InvoiceRow> {
  const { amount, receivedOn } = payment;
  const tenantId = invoice.tenant_id;
  const invoiceId = invoice.id;
  if (invoice.status !== 'open') throw new InvalidTransitionError(`Invoice ${invoice.number} is ${invoice.status}; only open invoices take payments`, { status: invoice.status.toUpperCase() });
  const outstanding = outstandingOf(invoice);
  if (amount > outstanding) throw new BadUserInputError(`amountMinor is more than the ${outstanding} still owed on ${invoice.number}`, { argument: 'amountMinor' });
  const paymentId = randomUUID();
  await tx.query(
    `INSERT INTO payments (id, tenant_id, invoice_id, amount_minor, received_on, method, reference, recorded_by) VALUES ($1, $2, $3, $4, $5, 'simulated', $6, $7)`,
    [paymentId, tenantId, invoiceId, amount, receivedOn, payment.reference, acting.principal.id],
  );
  const settled = amount === outstanding;
  const [updated] = await tx.query<InvoiceRow>(
    `UPDATE invoices SET paid_minor = paid_minor + $2, status = CASE WHEN $3 THEN 'paid' ELSE status END, paid_at = CASE WHEN $3 THEN now() ELSE paid_at END
      WHERE id = $1 RETURNING ${INVOICE_COLUMNS}`,
    [invoiceId, amount, settled],
  );
  if (settled) {
    const earner = await commissionRate(tx, tenantId, invoiceId);
    const base = Number(updated!.total_minor) - Number(updated!.credited_minor);
    if (earner && base > 0) {
      await tx.query(
        `INSERT INTO commission_entries (partner_id, tenant_id, invoice_id, payment_id, period_start, base_minor, rate_basis_points, amount_minor, currency)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [earner.partnerId, tenantId, invoiceId, paymentId, monthStart(receivedOn), base, earner.rate, commissionOf(base, earner.rate), invoice.currency],
      );
    }
    await afterSettlement(tx, acting, updated!, receivedOn);
  }
  return updated!;
}

async function recordPayment(ctx: ErpContext, input: PaymentInput) {
  const invoiceId = requireUuid(input.invoiceId, 'invoiceId');
  const amount = requireAmount(input.amountMinor, 'amountMinor');
  const receivedOn = effectiveDate(input.receivedOn, 'receivedOn');
  if (typeof input.reference !== 'string' || !/^[\w.:/-]{3,100}$/.test(input.reference)) {
    throw new BadUserInputError('reference must be 3 to 100 letters, digits or . _ : / -', { argument: 'reference' });
  }
  const tenantId = await invoiceTenant(ctx, invoiceId);
  const acting = actingOn(ctx.tenant, tenantId);
  return ctx.db.withTenant(acting, async (tx) => {
    const invoice = await lockInvoice(tx, invoiceId);
    const [previous] = await tx.query<{ invoice_id: string; amount_minor: string }>('SELECT invoice_id, amount_minor FROM payments WHERE tenant_id = $1 AND reference = $2', [
      tenantId,
      input.reference,
    ]);
    if (previous) {
      if (previous.invoice_id !== invoiceId || Number(previous.amount_minor) !== amount) throw new IdempotencyKeyReusedError('A payment with this reference was recorded for another invoice or amount');
      return invoice;
    }
    return applyPayment(tx, acting, invoice, { amount, receivedOn, reference: input.reference });
  });
}

async function issueCreditNote(ctx: ErpContext, args: { invoiceId: string; amountMinor: number; reason: string }) {
  requirePlatformAdmin(ctx.tenant, 'issue credit notes');
  const invoiceId = requireUuid(args.invoiceId, 'invoiceId');
  const amount = requireAmount(args.amountMinor, 'amountMinor');
  const reason = typeof args.reason === 'string' ? args.reason.trim() : '';
  if (reason.length < 3 || reason.length > 500) throw new BadUserInputError('reason must be 3 to 500 characters', { argument: 'reason' });
  const tenantId = await invoiceTenant(ctx, invoiceId);
  const acting = actingOn(ctx.tenant, tenantId);
  return ctx.db.withTenant(acting, async (tx) => {
    const invoice = await lockInvoice(tx, invoiceId);
    if (invoice.status !== 'open' && invoice.status !== 'paid') throw new InvalidTransitionError(`Invoice ${invoice.number} is ${invoice.status}; credit notes are for open or paid invoices`);
    const [credited] = await tx.query<{ sum: string }>('SELECT coalesce(sum(amount_minor), 0) AS sum FROM credit_notes WHERE invoice_id = $1', [invoiceId]);
    const creditable = Number(invoice.total_minor) - Number(credited!.sum);
    if (amount > creditable) throw new BadUserInputError(`amountMinor is more than the ${creditable} of ${invoice.number} not yet credited`, { argument: 'amountMinor' });
    const today = todayUtc();
    const toInvoice = invoice.status === 'open' ? Math.min(amount, outstandingOf(invoice)) : 0;
    const id = randomUUID();
    const [note] = await tx.query<{ number: string }>(
      `INSERT INTO credit_notes (id, tenant_id, number, invoice_id, amount_minor, applied_to_invoice_minor, reason, issued_on, issued_by)
       VALUES ($1, $2, next_document_number($3, 'credit_note'), $4, $5, $6, $7, $8, $9) RETURNING number`,
      [id, tenantId, invoice.issuer, invoiceId, amount, toInvoice, reason, today, ctx.tenant.principal.id],
    );
    if (amount > toInvoice) {
      await tx.query('INSERT INTO credit_balance_entries (tenant_id, amount_minor, currency, credit_note_id, created_on) VALUES ($1, $2, $3, $4, $5)', [
        tenantId,
        amount - toInvoice,
        invoice.currency,
        id,
        today,
      ]);
    }
    // A commission earned on the invoice is clawed back in proportion.
    const [earned] = await tx.query<{ partner_id: string; rate_basis_points: number }>(
      'SELECT partner_id, rate_basis_points FROM commission_entries WHERE invoice_id = $1 AND payment_id IS NOT NULL',
      [invoiceId],
    );
    if (earned) {
      await tx.query(
        `INSERT INTO commission_entries (partner_id, tenant_id, invoice_id, credit_note_id, period_start, base_minor, rate_basis_points, amount_minor, currency)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [earned.partner_id, tenantId, invoiceId, id, monthStart(today), -amount, earned.rate_basis_points, commissionOf(-amount, earned.rate_basis_points), invoice.currency],
      );
    }
    if (toInvoice > 0) {
      const settled = toInvoice === outstandingOf(invoice);
      const [updated] = await tx.query<InvoiceRow>(
        `UPDATE invoices SET credited_minor = credited_minor + $2, status = CASE WHEN $3 THEN 'paid' ELSE status END, paid_at = CASE WHEN $3 THEN now() ELSE paid_at END
          WHERE id = $1 RETURNING ${INVOICE_COLUMNS}`,
        [invoiceId, toInvoice, settled],
      );
      if (settled) await afterSettlement(tx, acting, updated!, today);
    }
    const [row] = await tx.query(`SELECT id, number, invoice_id, amount_minor, applied_to_invoice_minor, reason, issued_on::text FROM credit_notes WHERE id = $1`, [id]);
    return { ...row, number: note!.number };
  });
}

async function voidInvoice(ctx: ErpContext, args: { invoiceId: string; reason: string }) {
  requirePlatformAdmin(ctx.tenant, 'void invoices');
  const invoiceId = requireUuid(args.invoiceId, 'invoiceId');
  const reason = typeof args.reason === 'string' ? args.reason.trim() : '';
  if (reason.length < 3 || reason.length > 500) throw new BadUserInputError('reason must be 3 to 500 characters', { argument: 'reason' });
  const tenantId = await invoiceTenant(ctx, invoiceId);
  return ctx.db.withTenant(actingOn(ctx.tenant, tenantId), async (tx) => {
    const invoice = await lockInvoice(tx, invoiceId);
    if (invoice.status !== 'open' || Number(invoice.paid_minor) > 0 || Number(invoice.credited_minor) > 0) {
      throw new InvalidTransitionError(`Invoice ${invoice.number} is ${invoice.status}${Number(invoice.paid_minor) > 0 ? ' and partly paid' : ''}; only an open invoice without payments or credits can be voided (issue a credit note instead)`);
    }
    // What the invoice drew from the credit balance goes back to it; its usage is charged again next time.
    await tx.query(
      `INSERT INTO credit_balance_entries (tenant_id, amount_minor, currency, invoice_id, created_on)
       SELECT tenant_id, -sum(amount_minor), $3, $1, $4 FROM credit_balance_entries WHERE invoice_id = $1 AND tenant_id = $2 GROUP BY tenant_id HAVING sum(amount_minor) <> 0`,
      [invoiceId, tenantId, invoice.currency, todayUtc()],
    );
    await tx.query(
      `UPDATE usage_totals t SET billed_quantity = t.billed_quantity - l.quantity
         FROM invoice_lines l WHERE l.invoice_id = $1 AND l.kind = 'usage' AND t.tenant_id = $2 AND t.meter = l.item AND t.period_start = l.covers_from`,
      [invoiceId, tenantId],
    );
    const [updated] = await tx.query<InvoiceRow>(`UPDATE invoices SET status = 'void', voided_at = now(), void_reason = $2 WHERE id = $1 RETURNING ${INVOICE_COLUMNS}`, [invoiceId, reason]);
    return updated!;
  });
}

/**
 * The dunning of one tenant on `today`: each open invoice unpaid past a stage reaches it once —
 * `past_due` moves an active subscription to PAST_DUE, `suspend` asks the control plane to
 * suspend the tenant — each stage with its event.
 */
export async function runDunning(tx: Tx, context: TenantContext, tenantId: string, today: IsoDate): Promise<string[]> {
  await lockTenantBilling(tx, tenantId);
  const [policy] = await tx.query<{ past_due_after_days: number; suspend_after_days: number }>(`SELECT past_due_after_days, suspend_after_days FROM dunning_policy WHERE policy = 'default'`);
  const open = await tx.query<InvoiceRow>(`SELECT ${INVOICE_COLUMNS} FROM invoices WHERE tenant_id = $1 AND status = 'open' ORDER BY due_on FOR UPDATE`, [tenantId]);
  const reached: string[] = [];
  for (const invoice of open) {
    const stages = [
      { stage: 'past_due' as const, on: addDays(invoice.due_on, policy!.past_due_after_days) },
      { stage: 'suspend' as const, on: addDays(invoice.due_on, policy!.suspend_after_days) },
    ];
    for (const { stage, on } of stages) {
      if (on > today) continue;
      const inserted = await tx.query('INSERT INTO invoice_dunning (invoice_id, tenant_id, stage, reached_on) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING stage', [
        invoice.id,
        tenantId,
        stage,
        on,
      ]);
      if (inserted.length === 0) continue;
      reached.push(`${invoice.number}:${stage}`);
      if (stage === 'past_due') {
        const history = await loadHistory(tx, tenantId);
        const current = history[history.length - 1];
        if (current?.status === 'active') {
          const day = on < current.effectiveOn ? current.effectiveOn : on;
          await recordChange(tx, { context, actor: 'billing-run' }, tenantId, 'past_due', day, { ...stateOf(current), status: 'past_due' });
        }
      }
      await publishEvent(tx, 'erp.invoice.overdue', { ...context, access: 'tenant', tenantId }, {
        invoiceId: invoice.id,
        number: invoice.number,
        stage,
        dueOn: invoice.due_on,
        amountDueMinor: outstandingOf(invoice),
        currency: invoice.currency,
      });
    }
  }
  return reached;
}

/** One tenant's billing through a day: transitions and invoices, then dunning. */
export async function runTenantBilling(tx: Tx, context: TenantContext, tenantId: string, through: IsoDate) {
  const advanced = await advanceBilling(tx, context, tenantId, through);
  const dunning = await runDunning(tx, context, tenantId, through);
  return { ...advanced, dunning };
}

/** A tenant's run is one transaction of seconds: a run lost with its worker is retried within a minute. */
export const billingRunQueue = defineQueue({ name: 'erp.billing-run', retryLimit: 8, retryDelaySeconds: 5, retryDelayMaxSeconds: 600, expireInSeconds: 60 });
export const billingSweepQueue = defineQueue({ name: 'erp.billing-sweep', retryLimit: 3, retryDelaySeconds: 30, retryDelayMaxSeconds: 600, expireInSeconds: 300 });

/** How often the sweep looks for tenants with billing due. */
export const BILLING_SWEEP_SECONDS = 3600;

/** Tenants with something due by `today`: a period to invoice, a trial or term ending, an invoice overdue. */
async function tenantsDue(tx: Tx, today: IsoDate): Promise<string[]> {
  const rows = await tx.query<{ tenant_id: string }>(
    `SELECT s.tenant_id FROM subscriptions s JOIN invoice_schedules i ON i.tenant_id = s.tenant_id
       LEFT JOIN contracts c ON c.tenant_id = s.tenant_id
      WHERE i.next_period_start <= $1
         OR (s.status = 'trialing' AND s.trial_ends_on <= $1)
         OR (s.status NOT IN ('canceled', 'expired') AND c.term_end <= $1)
     UNION
     SELECT i.tenant_id FROM invoices i JOIN dunning_policy p ON p.policy = 'default'
      WHERE i.status = 'open' AND i.due_on + p.past_due_after_days <= $1
        AND NOT EXISTS (SELECT 1 FROM invoice_dunning d WHERE d.invoice_id = i.id AND d.stage = 'suspend')
     ORDER BY 1`,
    [today],
  );
  return rows.map((row) => row.tenant_id);
}

/** The sweep: one billing job per tenant with something due, each in that tenant's own transaction. */
export const billingSweepJob: JobDefinition = {
  queue: billingSweepQueue,
  every: { seconds: BILLING_SWEEP_SECONDS, data: { sweep: 'billing' } },
  async handle(job: JobRun<unknown>, tx) {
    const today = todayUtc();
    for (const tenantId of await tenantsDue(tx, today)) await job.enqueue(billingRunQueue, { tenantId, through: today }, { forTenant: { id: tenantId } });
  },
};

export const billingRunJob: JobDefinition = {
  queue: billingRunQueue,
  async handle(job: JobRun<{ tenantId: string; through: string }>, tx) {
    if (!isIsoDate(job.data.through)) throw new Error('billing run without a date');
    await runTenantBilling(tx, job.context, job.data.tenantId, job.data.through);
  },
};

/**
 * `runInvoices`: a platform admin runs the billing now, for one tenant or every tenant with
 * something due, through a day (today by default). Repeating it changes nothing.
 */
async function runInvoices(ctx: ErpContext, args: { tenantId?: string | null; through?: string | null }) {
  requirePlatformAdmin(ctx.tenant, 'run invoices');
  const through = effectiveDate(args.through, 'through');
  const tenants = args.tenantId != null ? [requireUuid(args.tenantId, 'tenantId')] : await ctx.db.withTenant(ctx.tenant, (tx) => tenantsDue(tx, through));
  const result = { tenants: 0, invoicesIssued: 0, transitions: 0, dunningStages: 0, invoiceNumbers: [] as string[] };
  for (const tenantId of tenants) {
    const done = await ctx.db.withTenant(actingOn(ctx.tenant, tenantId), (tx) => runTenantBilling(tx, actingOn(ctx.tenant, tenantId), tenantId, through));
    result.tenants += 1;
    result.invoicesIssued += done.invoices.length;
    result.transitions += done.transitions.length;
    result.dunningStages += done.dunning.length;
    result.invoiceNumbers.push(...done.invoices.map((i) => i.number));
  }
  return result;
}

export async function fetchInvoices(tx: Tx, tenantId: string, status: string | null, first: number): Promise<InvoiceRow[]> {
  return tx.query<InvoiceRow>(
    `SELECT ${INVOICE_COLUMNS} FROM invoices WHERE tenant_id = $1 AND status <> 'draft' AND ($2::text IS NULL OR status = $2) ORDER BY period_start DESC LIMIT $3`,
    [tenantId, status, first],
  );
}

const STATUSES = new Set(['OPEN', 'PAID', 'VOID']);

export const invoiceResolvers = {
  Mutation: {
    recordPayment: (_: unknown, args: { input: PaymentInput }, ctx: ErpContext) => recordPayment(ctx, args.input),
    issueCreditNote: (_: unknown, args: { invoiceId: string; amountMinor: number; reason: string }, ctx: ErpContext) => issueCreditNote(ctx, args),
    voidInvoice: (_: unknown, args: { invoiceId: string; reason: string }, ctx: ErpContext) => voidInvoice(ctx, args),
    runInvoices: (_: unknown, args: { tenantId?: string | null; through?: string | null }, ctx: ErpContext) => runInvoices(ctx, args),
  },
  Tenant: {
    invoices: async (tenant: { id: string }, args: { status?: string | null; first?: number | null }, ctx: ErpContext) => {
      if (!mayActOnTenant(ctx.tenant, tenant.id)) return [];
      if (args.status != null && !STATUSES.has(args.status)) throw new BadUserInputError('status must be OPEN, PAID or VOID', { argument: 'status' });
      const first = args.first ?? 24;
      if (!Number.isInteger(first) || first < 1 || first > 200) throw new BadUserInputError('first must be from 1 to 200', { argument: 'first' });
      return ctx.db.withTenant(ctx.tenant, (tx) => fetchInvoices(tx, tenant.id, args.status?.toLowerCase() ?? null, first));
    },
    creditBalanceMinor: async (tenant: { id: string }, _: unknown, ctx: ErpContext) => {
      if (!mayActOnTenant(ctx.tenant, tenant.id)) return null;
      const [row] = await ctx.db.withTenant(ctx.tenant, (tx) =>
        tx.query<{ balance: string }>('SELECT coalesce(sum(amount_minor), 0) AS balance FROM credit_balance_entries WHERE tenant_id = $1', [tenant.id]),
      );
      return Number(row!.balance);
    },
  },
  Invoice: {
    tenant: (row: InvoiceRow) => ({ __typename: 'Tenant', id: row.tenant_id }),
    status: (row: InvoiceRow) => row.status.toUpperCase(),
    periodStart: (row: InvoiceRow) => row.period_start,
    periodEnd: (row: InvoiceRow) => row.period_end,
    issuedOn: (row: InvoiceRow) => row.issued_on,
    dueOn: (row: InvoiceRow) => row.due_on,
    catalogVersion: (row: InvoiceRow) => row.catalog_version,
    subtotalMinor: (row: InvoiceRow) => Number(row.subtotal_minor),
    taxMinor: (row: InvoiceRow) => Number(row.tax_minor),
    totalMinor: (row: InvoiceRow) => Number(row.total_minor),
    paidMinor: (row: InvoiceRow) => Number(row.paid_minor),
    creditedMinor: (row: InvoiceRow) => Number(row.credited_minor),
    amountDueMinor: (row: InvoiceRow) => (row.status === 'open' ? outstandingOf(row) : 0),
    lines: (row: InvoiceRow, _: unknown, ctx: ErpContext) =>
      ctx.db.withTenant(ctx.tenant, (tx) =>
        tx.query(
          `SELECT line_no, kind, item, description, quantity::int, amount_minor::int, covers_from::text, covers_to::text FROM invoice_lines WHERE invoice_id = $1 ORDER BY line_no`,
          [row.id],
        ),
      ),
    creditNotes: (row: InvoiceRow, _: unknown, ctx: ErpContext) =>
      ctx.db.withTenant(ctx.tenant, (tx) =>
        tx.query(`SELECT id, number, invoice_id, amount_minor, applied_to_invoice_minor, reason, issued_on::text FROM credit_notes WHERE invoice_id = $1 ORDER BY number`, [row.id]),
      ),
  },
  InvoiceLine: {
    lineNo: (row: { line_no: number }) => row.line_no,
    kind: (row: { kind: string }) => row.kind.toUpperCase(),
    amountMinor: (row: { amount_minor: number }) => row.amount_minor,
    coversFrom: (row: { covers_from: string }) => row.covers_from,
    coversTo: (row: { covers_to: string }) => row.covers_to,
  },
  CreditNote: {
    invoiceId: (row: { invoice_id: string }) => row.invoice_id,
    amountMinor: (row: { amount_minor: string }) => Number(row.amount_minor),
    appliedToInvoiceMinor: (row: { applied_to_invoice_minor: string }) => Number(row.applied_to_invoice_minor),
    issuedOn: (row: { issued_on: string }) => row.issued_on,
  },
};
