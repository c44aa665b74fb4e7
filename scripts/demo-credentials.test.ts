/** Demo material only outside production, and the credentials file is the user's alone. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../lib/config.js';
import { demoPlan, writeDemoCredentials, type DemoCredentials } from './demo-credentials.js';

let dataDir: string | undefined;
afterEach(() => {
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('demoPlan', () => {
  it('seeds an empty database and issues credentials in development and test', () => {
    expect(demoPlan('development', 0)).toEqual({ seed: true, credentials: true });
    expect(demoPlan('test', 40)).toEqual({ seed: false, credentials: true });
  });

  it('never seeds nor issues in production, and says so', () => {
    for (const tenants of [0, 40]) {
      const plan = demoPlan('production', tenants);
      expect(plan).toMatchObject({ seed: false, credentials: false });
      expect(plan.notice).toMatch(/NODE_ENV=production/);
    }
  });
});

describe('writeDemoCredentials', () => {
  it('leaves the file readable by its user only, even one an earlier version wrote 0644', () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'caregraph-demo-'));
    const file = path.join(dataDir, 'demo-credentials.json');
    fs.writeFileSync(file, '{}', { mode: 0o644 });
    fs.chmodSync(file, 0o644);
    const credentials = { gateway: 'http://localhost:4000/graphql' } as DemoCredentials;
    expect(writeDemoCredentials(loadConfig({ CAREGRAPH_DATA_DIR: dataDir }), credentials)).toBe(file);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual(credentials);
  });
});
