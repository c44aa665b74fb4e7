/**
 * PostgreSQL stopped and started again under load, on a server of this test's own (the suite's
 * shared one must not go down): while it is down every request fails cleanly — an answer with a
 * coded error, no hang past the request deadline, no crash of any service — and once it is back
 * requests succeed again without restarting anything, the pools reconnecting on their own.
 * Loopback only; a few clients for a few seconds.
 */
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DevIssuer } from '../../lib/auth/dev-issuer.js';
import { loadConfig, type Config } from '../../lib/config.js';
import { ensureRoles, freePort, roleSettings, startEmbeddedPostgres } from '../../lib/db/index.js';
import { ROOT } from '../../lib/services.js';
import { migrateAll, seedDemo, startInProcess, type InProcessPlatform } from '../../scripts/platform.js';
import { testEnvironment } from '../support/env.js';

const CLIENTS = 3;
const QUERY = '{ tenants(first: 3) { edges { node { name subscription { status } clinicalSummary { patientCount } health { requestCount } } } } }';
/** How long the test waits for full answers once the server is back. */
const RECOVERY_LIMIT_MS = 10_000;

const dataDir = path.join(ROOT, '.caregraph', `fault-postgres-${process.pid}`);
const directory = path.join(dataDir, 'postgres');
let port: number;
let server: Awaited<ReturnType<typeof startEmbeddedPostgres>>;
let config: Config;
let platform: InProcessPlatform;
/** A platform admin's token and a tenant admin's: the second also needs tenant resolution (tenancy, erp). */
let tokens: string[];

interface Answer {
  status: number;
  codes: unknown[];
  full: boolean;
  ms: number;
}

let asked = 0;

/** One request, by each caller in turn. */
async function ask(): Promise<Answer> {
  const token = tokens[asked++ % tokens.length];
  const started = Date.now();
  const response = await fetch(platform.gateway.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: QUERY }),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  const body = JSON.parse(text) as { data?: unknown; errors?: { message: string; extensions?: { code?: unknown } }[] };
  expect(text).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|postgres|stack|at [A-Za-z.]+ \(/i);
  const codes = (body.errors ?? []).map((error) => error.extensions?.code);
  return { status: response.status, codes, full: codes.length === 0 && body.data != null, ms: Date.now() - started };
}

/** `CLIENTS` clients asking in a loop until `until()` says stop. */
async function load(until: () => boolean): Promise<Answer[]> {
  const answers: Answer[] = [];
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (!until()) answers.push(await ask());
    }),
  );
  return answers;
}

beforeAll(async () => {
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.mkdirSync(dataDir, { recursive: true });
  port = await freePort();
  server = await startEmbeddedPostgres({ directory, ephemeral: true, port });
  config = loadConfig({ ...testEnvironment(dataDir), GATEWAY_REQUEST_TIMEOUT_MS: '5000' });
  await ensureRoles(server.url, roleSettings(config));
  await migrateAll(server.url);
  await seedDemo(server.url, { tenants: 5 });
  platform = await startInProcess(config, server.url);
  const issuer = await DevIssuer.open(config);
  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  const { rows } = await client.query<{ id: string }>("SELECT id FROM tenancy.tenants WHERE status = 'active' ORDER BY slug LIMIT 1");
  await client.end();
  tokens = [
    await issuer.mint({ subject: 'fault-postgres-admin', roles: ['platform_admin'] }),
    await issuer.mint({ subject: 'fault-postgres-tenant-admin', roles: ['tenant_admin'], tenantId: rows[0]!.id }),
  ];
}, 120_000);

afterAll(async () => {
  await platform?.close();
  await server?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('PostgreSQL stopped and started again under load', () => {
  it('fails requests cleanly with a coded error while it is down, and serves again once it is back, restarting nothing', async () => {
    for (const _caller of tokens) expect((await ask()).full).toBe(true);

    let backAt = 0;
    let recoveredAt = 0;
    const running = load(() => recoveredAt > 0 || (backAt > 0 && Date.now() - backAt > RECOVERY_LIMIT_MS));
    await new Promise((resolve) => setTimeout(resolve, 500));
    await server.stop();
    const downAt = Date.now();
    // Answers while down, sampled apart from the load.
    const down: Answer[] = [];
    while (Date.now() - downAt < 3_000) down.push(await ask());
    server = await startEmbeddedPostgres({ directory, ephemeral: true, port });
    backAt = Date.now();
    // Recovered: both callers get full answers again.
    while (!recoveredAt && Date.now() - backAt < RECOVERY_LIMIT_MS) {
      const [first, second] = [await ask(), await ask()];
      if (first.full && second.full) recoveredAt = Date.now();
      else await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const answers = await running;

    expect(down.length).toBeGreaterThan(0);
    console.info(JSON.stringify({ down: [...new Set(down.map((a) => `${a.status} ${a.codes.join(',')}`))], requests: answers.length + down.length, recoveredMs: recoveredAt - backAt }));
    for (const answer of [...down, ...answers]) {
      // A coded answer, never a hang: a 200 with coded errors for what could not be read, or a coded refusal.
      expect(answer.ms).toBeLessThan(config.gatewayRequestTimeoutMs + 2_000);
      if (!answer.full) expect(answer.codes.length).toBeGreaterThan(0);
      for (const code of answer.codes) expect(code).toBe('SERVICE_UNAVAILABLE');
    }
    expect(down.every((answer) => !answer.full)).toBe(true);
    expect(recoveredAt, 'full answers again after the restart').toBeGreaterThan(0);
  });
});
