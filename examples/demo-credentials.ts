/**
 * Where the runnable examples get their gateway URL and credentials: environment variables
 * first (to point an example at any deployment), else the demo credentials `npm start` writes
 * to `<CAREGRAPH_DATA_DIR>/demo-credentials.json` (`.caregraph/` by default; tokens last 12
 * hours, and a restart issues a new partner key).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { DemoCredentials } from '../scripts/demo-credentials.js';

/** The demo credentials file, or an error saying how to get one. */
export function readDemoCredentials(env: NodeJS.ProcessEnv = process.env): DemoCredentials {
  const file = path.resolve(env.CAREGRAPH_DATA_DIR ?? '.caregraph', 'demo-credentials.json');
  if (!fs.existsSync(file)) {
    throw new Error(`${file} not found: run npm start first (it writes the demo credentials), or set the variables the example names`);
  }
  return JSON.parse(fs.readFileSync(file, 'utf8')) as DemoCredentials;
}

/** `env[name]` when set, else `fallback()` (which may read the demo credentials). */
export function fromEnv(env: NodeJS.ProcessEnv, name: string, fallback: () => string): string {
  const value = env[name];
  return value !== undefined && value !== '' ? value : fallback();
}
