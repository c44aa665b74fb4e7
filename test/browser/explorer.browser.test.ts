/**
 * The explorer in a real browser (Debian's Chromium, driven by playwright-core), against the
 * platform started in-process with the gateway's development issuer and the demo credentials
 * written as `npm start` writes them. Every request the page makes to a host other than this
 * machine is aborted and counted: the page must work offline, so the count is 0.
 *
 * Steps, as an analyst would take them: open /graphql in the browser (redirected to the
 * explorer), see a malformed pasted token refused with the gateway's message, sign in as the
 * analyst persona, pick tenant A, run the fleet-health example and read its result, and find
 * no PHI field in the docs pane. A screenshot of the page goes to test/browser/screenshots/
 * (git-ignored).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kind, parse } from 'graphql';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCommittedSupergraph } from '../../lib/federation/compose.js';
import type { InProcessPlatform } from '../../scripts/platform.js';
import { createDemoCredentials, writeDemoCredentials, type DemoCredentials } from '../../scripts/demo-credentials.js';
import { adminClient, adminUrl, startTestPlatform, testConfig } from '../support/platform.js';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOTS = path.join(path.dirname(new URL(import.meta.url).pathname), 'screenshots');
/** Hosts the page may reach: this machine. */
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
/** Every `Type.field` of the supergraph marked @phi: none may show in an analyst's docs. */
const PHI_FIELDS = parse(readCommittedSupergraph()).definitions.flatMap((definition) =>
  definition.kind === Kind.OBJECT_TYPE_DEFINITION
    ? (definition.fields ?? []).filter((field) => field.directives?.some((directive) => directive.name.value === 'phi')).map((field) => `${definition.name.value}.${field.name.value}`)
    : [],
);

let platform: InProcessPlatform;
let credentials: DemoCredentials;
let tenantAName: string;
let tenantCount: number;
let userDataDir: string;
let context: BrowserContext;
let page: Page;
const blocked: string[] = [];
const problems: string[] = [];
const workers: string[] = [];

beforeAll(async () => {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  const config = testConfig();
  platform = await startTestPlatform();
  credentials = await createDemoCredentials(config, adminUrl(), platform.gateway.url);
  writeDemoCredentials(config, credentials);
  const admin = await adminClient();
  try {
    tenantAName = (await admin.query<{ name: string }>('SELECT name FROM tenancy.tenants WHERE id = $1', [credentials.tenants.a])).rows[0]!.name;
    tenantCount = (await admin.query<{ n: number }>('SELECT count(*)::int AS n FROM tenancy.tenants')).rows[0]!.n;
  } finally {
    await admin.end();
  }
  userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'caregraph-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1400, height: 900 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  await context.route('**/*', async (route) => {
    const url = new URL(route.request().url());
    if (LOOPBACK.has(url.hostname)) return route.continue();
    blocked.push(url.href);
    return route.abort('blockedbyclient');
  });
  // A violation of the page's Content-Security-Policy is an error on the console, and fails the last test.
  await context.addInitScript(() =>
    document.addEventListener('securitypolicyviolation', (event) => console.error(`CSP violation: ${event.effectiveDirective} ${event.blockedURI}`)),
  );
  page = context.pages()[0] ?? (await context.newPage());
  page.on('worker', (worker) => workers.push(new URL(worker.url()).pathname));
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    // Chromium reports each Content-Security-Policy violation on the console. The refused
    // sign-in with a malformed token is the one failed load expected.
    if (message.type() === 'error' && !/status of 401 \(Unauthorized\)/.test(message.text())) problems.push(`console: ${message.text()}`);
  });
}, 180_000);

afterAll(async () => {
  if (page) {
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    // The page as the run left it: what a failed step saw.
    await page.screenshot({ path: path.join(SCREENSHOTS, 'last.png'), fullPage: true }).catch(() => undefined);
  }
  await context?.close();
  if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
  await platform?.close();
});

/** The text of an element, with the non-breaking spaces monaco renders turned into spaces. */
async function textOf(selector: string): Promise<string> {
  return (await page.locator(selector).innerText()).replace(/\u00a0/g, ' ');
}

/** A pane's text as one line: monaco wraps long lines wherever the pane is narrow. */
async function flatTextOf(selector: string): Promise<string> {
  return (await textOf(selector)).replace(/\s+/g, ' ');
}

describe('the explorer', () => {
  it('opens from /graphql in a browser, with nothing loaded from outside this machine', async () => {
    const response = await page.goto(platform.gateway.url);
    expect(new URL(page.url()).pathname).toBe('/graphiql');
    expect(response?.headers()['content-security-policy']).toMatch(/default-src 'self'/);
    await page.getByRole('form', { name: 'Sign in' }).waitFor();
    await page.locator('.graphiql-container').waitFor();
  });

  it('shows the gateway’s message for a malformed pasted token', async () => {
    await page.getByLabel('Sign-in method', { exact: true }).selectOption('bearer');
    await page.getByLabel('Token', { exact: true }).fill('not-a-jwt');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('form', { name: 'Sign in' }).getByRole('alert').innerText()).toBe('Sign-in refused: Invalid token (UNAUTHENTICATED)');
  });

  it('signs in as the analyst persona and lists the tenants an analyst may act on', async () => {
    await page.getByLabel('Sign-in method', { exact: true }).selectOption('persona');
    await page.getByLabel('Persona', { exact: true }).selectOption('analyst');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByTestId('signed-in-as').innerText()).toMatch(/^Signed in as Analyst · token expires/);
    const tenants = await page.getByLabel('Tenant', { exact: true }).locator('option').allInnerTexts();
    expect(tenants).toContain(tenantAName);
    // Platform staff may act on every tenant; the first option is "none" (platform level).
    expect(tenants).toHaveLength(tenantCount + 1);
  });

  it('runs the fleet-health example in tenant A and shows its result', async () => {
    await page.getByLabel('Tenant', { exact: true }).selectOption({ label: tenantAName });
    await page.locator('[data-example="analyst/fleet-health"]').click();
    await expect.poll(() => textOf('.graphiql-query-editor')).toContain('query FleetHealth');
    await page.locator('.graphiql-execute-button').click();
    await expect.poll(() => flatTextOf('.result-window'), { timeout: 20_000 }).toContain(`"name": "${tenantAName}"`);
    const result = await flatTextOf('.result-window');
    expect(result).toContain('"totalCount": 1');
    expect(result).toContain('"availability"');
    expect(result).not.toContain('"errors"');
  });

  it('shows no PHI field in the docs pane for the analyst', async () => {
    await page.getByRole('button', { name: /Documentation Explorer/ }).click();
    const docs = page.locator('.graphiql-doc-explorer');
    await expect.poll(() => docs.innerText()).toMatch(/Root Types/);
    const search = docs.getByRole('combobox');
    /** The `Type.field` results of a search from the root of the docs, once they are for `term`. */
    const resultsFor = async (term: string): Promise<string[]> => {
      await search.fill(term);
      const list = docs.locator('[data-cy="doc-explorer-list"]');
      await expect.poll(async () => {
        const text = await list.innerText();
        const options = await list.locator('[data-cy="doc-explorer-option"]').allInnerTexts();
        return text.includes('No results found') || (options.length > 0 && options.every((option) => option.toLowerCase().includes(term.toLowerCase())));
      }).toBe(true);
      return list.locator('[data-cy="doc-explorer-option"]').allInnerTexts();
    };
    // The search finds fields of any type: a field the analyst may read is there.
    expect(await resultsFor('availability')).toContain('TenantHealth.availability');
    for (const field of PHI_FIELDS) {
      expect(await resultsFor(field.split('.')[1]!), `${field} in the docs`).not.toContain(field);
    }
    await search.fill('');
    await page.keyboard.press('Escape');
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SCREENSHOTS, 'explorer.png') });
  });

  it('signing out leaves nothing of the analyst on the page', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('form', { name: 'Sign in' }).waitFor();
    expect(await page.getByLabel('Tenant', { exact: true }).count()).toBe(0);
    await expect.poll(() => page.locator('.graphiql-container').count()).toBe(1);
    expect(await flatTextOf('.result-window')).not.toContain(tenantAName);
  });

  it('made no request to another host, ran monaco’s workers from the gateway, and reported no error', () => {
    expect(blocked).toEqual([]);
    expect(problems).toEqual([]);
    expect(workers).toEqual(expect.arrayContaining([expect.stringMatching(/^\/graphiql\/assets\/editor-\w+\.js$/), expect.stringMatching(/^\/graphiql\/assets\/graphql-\w+\.js$/)]));
  });
});
