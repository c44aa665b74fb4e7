/**
 * An invoice run survives `kill -9`: erp's worker runs as its own process and is killed with
 * SIGKILL while a tenant's billing run is inside its transaction, between two invoice lines
 * (a test trigger holds the line's insert). The crash leaves no invoice, no line and no number
 * of that run; started again, the worker bills the periods once, numbered without a gap.
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { appUrl } from '../../lib/db/index.js';
import { TEST_TUNING, waitFor } from '../../lib/jobs/test-support.js';
import type { RunningWorker } from '../../lib/services.js';
import type { InProcessPlatform } from '../../scripts/platform.js';
import * as observabilityWorker from '../../subgraphs/observability/worker.js';
import { TEST_APP_PASSWORD, testEnvironment } from '../support/env.js';
import { adminQuery, adminUrl, bearer, dropScratchTenants, graphql, scratchTenant, startTestPlatform, testConfig } from '../support/platform.js';
import { killProcess, startServiceProcess } from '../support/service-process.js';

let platform: InProcessPlatform;
let supervisor: RunningWorker | undefined;
const children: ChildProcess[] = [];
const scratch: string[] = [];

async function startErpWorker(): Promise<ChildProcess> {
  const child = await startServiceProcess('erp-worker', { ...testEnvironment(inject('dataDir')), DATABASE_APP_URL: appUrl(adminUrl(), TEST_APP_PASSWORD) });
  children.push(child);
  return child;
}

beforeAll(async () => {
  platform = await startTestPlatform();
  // Supervises every second: the killed run's job is retried once its expiry passes.
  supervisor = await observabilityWorker.start(testConfig(), { databaseUrl: appUrl(adminUrl(), TEST_APP_PASSWORD), tuning: TEST_TUNING });
}, 120_000);
afterAll(async () => {
  await Promise.all(children.map(killProcess));
  await adminQuery('DROP TRIGGER IF EXISTS fault_hold_invoice_line ON erp.invoice_lines');
  await adminQuery('DROP FUNCTION IF EXISTS erp.fault_hold_invoice_line()');
  await supervisor?.close();
  await platform?.close();
  await dropScratchTenants(scratch);
});

const invoicesOf = (tenantId: string) =>
  adminQuery<{ period_start: string; number: string; total_minor: string; lines: number }>(
    `SELECT i.period_start::text, i.number, i.total_minor, (SELECT count(*)::int FROM erp.invoice_lines l WHERE l.invoice_id = i.id) AS lines
       FROM erp.invoices i WHERE i.tenant_id = $1 ORDER BY i.period_start`,
    [tenantId],
  );
const nextEuroInvoiceNumber = async () =>
  Number((await adminQuery<{ next: string }>(`SELECT next_number AS next FROM erp.document_sequences WHERE issuer = 'CG-EU' AND kind = 'invoice'`))[0]!.next);

it('leaves the whole invoice or none when the worker is killed mid-run, then bills each period once', async () => {
  const tenantId = await scratchTenant('Invoice Run Kill Clinic');
  scratch.push(tenantId);
  // Billed in euros, which no other suite bills: the issuer's numbers are this test's.
  const started = await graphql(platform.gateway.url, `mutation S($input: StartSubscriptionInput!) { startSubscription(input: $input) { status } }`, {
    variables: { input: { tenantId, planCode: 'standard', currency: 'EUR', startOn: '2026-09-01' } },
    headers: await bearer(['platform_admin'], { subject: 'invoice-run-kill' }),
  });
  expect(started.body.errors).toBeUndefined();
  const [september] = await invoicesOf(tenantId);
  expect(september).toMatchObject({ period_start: '2026-09-01', total_minor: '46900', lines: 1 });
  const numberAfterSeptember = await nextEuroInvoiceNumber();

  // The next line of this tenant's invoices waits inside the run's transaction.
  await adminQuery(`CREATE FUNCTION erp.fault_hold_invoice_line() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN IF NEW.tenant_id = '${tenantId}' THEN PERFORM pg_sleep(6); END IF; RETURN NEW; END $$`);
  await adminQuery('CREATE TRIGGER fault_hold_invoice_line BEFORE INSERT ON erp.invoice_lines FOR EACH ROW EXECUTE FUNCTION erp.fault_hold_invoice_line()');
  const worker = await startErpWorker();
  await waitFor('the run inside its transaction', async () => {
    const rows = await adminQuery<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE wait_event = 'PgSleep' AND query ILIKE '%invoice_lines%'`);
    return rows.length > 0 ? true : undefined;
  }, 60_000);
  await killProcess(worker);
  await adminQuery('DROP TRIGGER fault_hold_invoice_line ON erp.invoice_lines');
  // The server ends the dead worker's transaction once the held statement returns: rolled back.
  await waitFor('the dead run rolled back', async () => {
    const rows = await adminQuery(`SELECT pid FROM pg_stat_activity WHERE wait_event = 'PgSleep' AND query ILIKE '%invoice_lines%'`);
    return rows.length === 0 ? true : undefined;
  }, 30_000);
  expect(await invoicesOf(tenantId)).toEqual([september]);
  expect(await nextEuroInvoiceNumber()).toBe(numberAfterSeptember);

  // Started again: the lost run's job comes back after its expiry and bills October to today once.
  await startErpWorker();
  const today = new Date().toISOString().slice(0, 10);
  const expected = ['2026-09-01', '2026-10-01', '2026-11-01', '2026-12-01', '2027-01-01'].filter((period) => period <= today);
  const invoices = await waitFor('the periods billed', async () => {
    const rows = await invoicesOf(tenantId);
    return rows.length === expected.length ? rows : undefined;
  }, 150_000);
  expect(invoices.map((invoice) => invoice.period_start)).toEqual(expected);
  expect(invoices.every((invoice) => invoice.total_minor === '46900' && invoice.lines === 1)).toBe(true);
  expect(invoices.map((invoice) => Number(invoice.number.slice(-6)))).toEqual(expected.map((_, i) => numberAfterSeptember - 1 + i));
  expect(await nextEuroInvoiceNumber()).toBe(numberAfterSeptember + expected.length - 1);
}, 300_000);
