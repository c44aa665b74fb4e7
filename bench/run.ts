/**
 * `npm run bench` (full run, about ten minutes), `npm run bench -- --quick` (about three),
 * `--smoke` (shortest), `--profile` (V8 CPU profiles of each gateway process into the
 * results folder), `--only A-fleet` (one operation of A/A2, repeatable; `flood` for the flood
 * scenario, `noisy` for scenario D, the noisy neighbour; B and C still run), `--only startup` (scenario C alone: start-up times and idle
 * memory of `npm start`). Starts its own embedded PostgreSQL under .caregraph/, seeds the
 * 400-tenant demo fleet, runs every scenario, prints one table and writes the same figures as
 * JSON to bench/results/. Never part of `npm test`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../lib/config.js';
import { ensureRoles, roleSettings, startEmbeddedPostgres } from '../lib/db/index.js';
import { ROOT } from '../lib/federation/compose.js';
import { migrateAll, seedDemo } from '../scripts/platform.js';
import { runHarness } from './harness.js';
import { BENCH_TENANTS, MODES } from './modes.js';
import { formatReport, formatStartup, startupTargetLines } from './report.js';
import { runStartup } from './scenarios/startup.js';

const APP_PASSWORD = 'caregraph-app-bench';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean' },
      smoke: { type: 'boolean' },
      profile: { type: 'boolean' },
      only: { type: 'string', multiple: true },
    },
    strict: true,
  });
  const mode = MODES[values.smoke ? 'smoke' : values.quick ? 'quick' : 'full'];
  const startupOnly = values.only?.some((only) => only === 'startup' || only === 'C') ?? false;
  if (startupOnly && values.only!.length > 1) throw new Error('--only startup runs scenario C alone; it cannot be combined with operations');
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const resultsDir = path.join(ROOT, 'bench', 'results');
  const dataDir = path.join(ROOT, '.caregraph', `bench-${mode.name}-${stamp}`);
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const log = (line: string) => console.log(`[bench ${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`);
  fs.mkdirSync(resultsDir, { recursive: true });

  log(`${mode.name} run: starting PostgreSQL in ${path.relative(ROOT, dataDir)}`);
  const database = await startEmbeddedPostgres({ directory: path.join(dataDir, 'postgres') });
  try {
    // The binding key goes into the run's data folder, where every process of the run finds it;
    // the gateway role gets the password the flood scenario's gateway derives its URL with.
    const config = loadConfig({ ...process.env, DATABASE_APP_PASSWORD: APP_PASSWORD, CAREGRAPH_DATA_DIR: dataDir });
    await ensureRoles(database.url, roleSettings(config));
    await migrateAll(database.url);
    if (startupOnly) {
      const startup = await runStartup({
        dataDir: `${dataDir}-start`,
        adminUrl: database.url,
        appPassword: APP_PASSWORD,
        gatewayPassword: config.database.gatewayPassword,
        seedTenants: mode.seedTenants,
        restartOnExistingFolder: mode.restartOnExistingFolder,
        log,
      });
      console.log(`\n${formatStartup(startup)}\n\nTargets\n${startupTargetLines(startup).map((line) => `  ${line}`).join('\n')}\n`);
      const file = path.join(resultsDir, `bench-startup-${mode.name}-${stamp}.json`);
      fs.writeFileSync(file, `${JSON.stringify({ mode: mode.name, startedAt, startup }, null, 2)}\n`);
      log(`figures written to ${path.relative(ROOT, file)}`);
      return;
    }
    log(`seeding ${BENCH_TENANTS} tenants`);
    await seedDemo(database.url, { tenants: BENCH_TENANTS });
    const profileDirectory = values.profile ? path.join(resultsDir, `profiles-${stamp}`) : undefined;
    const report = await runHarness({
      mode,
      adminUrl: database.url,
      dataDir,
      appPassword: APP_PASSWORD,
      profileDirectory,
      only: values.only,
      log,
    });
    const text = formatReport(report);
    console.log(`\n${text}\n`);
    const file = path.join(resultsDir, `bench-${mode.name}-${stamp}.json`);
    fs.writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    log(`figures written to ${path.relative(ROOT, file)}`);
    if (profileDirectory) log(`CPU profiles in ${path.relative(ROOT, profileDirectory)} (summarise with: npx tsx bench/profile.ts <file>)`);
  } finally {
    await database.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(`[bench] failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
