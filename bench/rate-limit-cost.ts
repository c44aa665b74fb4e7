/**
 * What the gateway's rate limiter costs in CPU per request, on its own: `npx tsx
 * bench/rate-limit-cost.ts [--seconds 3] [--rounds 3]`. Calls `RequestRateLimits.enforce`
 * (gateway/rate-limits.ts: the rules of a tenant user, counted in the shared PostgreSQL
 * store as the gateway role) from 1, 2, 4, 8 and 16 callers at once, each calling again as
 * soon as it is answered, and prints this process's CPU per check (median over the rounds):
 * how far concurrent hits folding into one upsert brings it down. The flood scenario
 * (scenarios/flood.ts) measures the same cost inside a loaded gateway, where it is one
 * figure among the noise of the whole request.
 *
 * Uses a scratch database on DATABASE_URL's server (dropped afterwards), or a throw-away
 * embedded PostgreSQL under .caregraph/. Results: docs/performance.md.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { loadConfig, requireAppPassword } from '../lib/config.js';
import { ensureRoles, gatewayUrl, migrate } from '../lib/db/index.js';
import { resolvePath, SERVICES } from '../lib/services.js';
import { RequestRateLimits } from '../gateway/rate-limits.js';
import type { Principal } from '../gateway/authenticate.js';
import { openScratchDatabase } from './processes/scratch-database.js';

const CONCURRENCY = [1, 2, 4, 8, 16];
const WARMUP_SECONDS = 1;
/** Users per caller and tenants in all: as many buckets as the flood scenario's dashboard counts. */
const USERS_PER_CALLER = 4;
const TENANTS = 24;
/** Limits no caller comes near: every check is a counted, allowed hit (the common case). */
const PLAN_LIMITS = { user_requests_per_minute: 100_000_000, api_requests_per_minute: 100_000_000 };

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { seconds: { type: 'string', default: '3' }, rounds: { type: 'string', default: '3' } },
    strict: true,
  });
  const seconds = Number(values.seconds);
  const rounds = Number(values.rounds);
  if (!(seconds > 0) || !Number.isInteger(rounds) || rounds < 1) throw new Error('--seconds must be positive and --rounds a positive whole number');
  const config = loadConfig({ ...process.env, RATE_LIMITS: 'on' });
  const gatewayPassword = config.database.gatewayPassword;
  if (!gatewayPassword) throw new Error('the gateway role needs a password (DATABASE_GATEWAY_PASSWORD)');
  const server = await openScratchDatabase(config.database.url, 'rate_limits');
  try {
    // The passwords are the configured ones: on a shared server the roles are shared too.
    await ensureRoles(server.url, {
      appPassword: requireAppPassword(config),
      gatewayPassword,
      bindingKey: randomBytes(32).toString('base64url'),
      statementTimeoutMs: config.database.statementTimeoutMs,
    });
    const gateway = SERVICES.gateway.database;
    await migrate(server.url, { schema: gateway.schema, directory: resolvePath(gateway.migrations) });
    const limits = new RequestRateLimits(config, { warn: () => undefined, info: () => undefined }, gatewayUrl(server.url, gatewayPassword));
    try {
      console.log(`RequestRateLimits.enforce against PostgreSQL, ${rounds} rounds of ${seconds} s per concurrency (median)`);
      console.log('callers  checks/s  CPU ms per check');
      for (const concurrency of CONCURRENCY) {
        await checks(limits, concurrency, WARMUP_SECONDS);
        const results: { perSecond: number; cpuMs: number }[] = [];
        for (let round = 0; round < rounds; round++) results.push(await checks(limits, concurrency, seconds));
        const perSecond = median(results.map((result) => result.perSecond));
        const cpuMs = median(results.map((result) => result.cpuMs));
        console.log(`${String(concurrency).padStart(7)}  ${perSecond.toFixed(0).padStart(8)}  ${cpuMs.toFixed(3).padStart(16)}`);
      }
    } finally {
      await limits.close();
    }
  } finally {
    await server.close();
  }
}

/** `concurrency` callers checking for `seconds`; this process's CPU per check. */
async function checks(limits: RequestRateLimits, concurrency: number, seconds: number): Promise<{ perSecond: number; cpuMs: number }> {
  let count = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, caller) => {
      const tenantId = `bench-tenant-${caller % TENANTS}`;
      for (let i = 0; performance.now() < deadline; i++) {
        const principal: Principal = {
          id: `user:bench-${caller}-${i % USERS_PER_CALLER}`,
          kind: 'user',
          roles: ['tenant_admin'],
          scopes: [],
          tenantId,
          partnerId: null,
        };
        await limits.enforce(principal, tenantId, PLAN_LIMITS);
        count++;
      }
    }),
  );
  const used = process.cpuUsage(cpu);
  const elapsed = (performance.now() - started) / 1000;
  return { perSecond: count / elapsed, cpuMs: (used.user + used.system) / 1000 / count };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

main().catch((error: unknown) => {
  console.error(`[bench] failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
