// @ts-check
/**
 * `npm start`'s first step, in plain JavaScript because it runs before anything is compiled:
 * builds `dist/` when there is none (a fresh clone), then runs the compiled launcher
 * (scripts/start.ts) in this process through the bundle loader. The launcher checks the build
 * itself and rebuilds when a source is newer, so a start with an up-to-date build loads no
 * TypeScript tooling at all.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const runner = path.join(root, 'dist', 'run.cjs');

if (!fs.existsSync(runner)) {
  const built = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'scripts', 'build.ts')], { cwd: root, stdio: 'inherit' });
  if (built.status !== 0) process.exit(built.status ?? 1);
}
/** @type {{ runNamedBundle(name: string): void }} */
const { runNamedBundle } = createRequire(import.meta.url)(runner);
runNamedBundle('start');
