/**
 * `npm run bench:install`: installs the benchmark's own packages (bench/package.json: Hive
 * Gateway and autocannon) into bench/node_modules, exactly as bench/package-lock.json says.
 * They stay out of the platform's install: they are many, and some of Hive Gateway's nested
 * dependencies declare Node 22 (npm prints EBADENGINE warnings for them; they run on Node 20,
 * see README.md "Install notes"). `npm run bench` and `npm run test:bench` run this first; it
 * installs only when bench/node_modules is missing or older than the lock file.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));

/** Whether bench/node_modules was installed from the current bench/package-lock.json. */
function benchPackagesInstalled(dir = BENCH_DIR): boolean {
  try {
    // npm writes node_modules/.package-lock.json at the end of every install.
    return fs.statSync(path.join(dir, 'node_modules', '.package-lock.json')).mtimeMs >= fs.statSync(path.join(dir, 'package-lock.json')).mtimeMs;
  } catch {
    return false;
  }
}

function main(): void {
  if (!process.argv.includes('--force') && benchPackagesInstalled()) return;
  console.log('[bench] installing the benchmark\'s packages into bench/node_modules (npm ci)');
  const result = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: BENCH_DIR, stdio: 'inherit', shell: process.platform === 'win32' });
  if (result.status !== 0) {
    console.error(`[bench] npm ci in bench/ failed (${result.error?.message ?? `exit code ${result.status}`})`);
    process.exit(1);
  }
}

main();
