/** A configured secret wins; otherwise one is generated once, mode 0600, and then reused. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readSecret, resolveSecret } from './secret-file.js';

const folders: string[] = [];
const folder = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'caregraph-secret-'));
  folders.push(dir);
  return path.join(dir, 'data');
};
afterEach(() => {
  for (const dir of folders.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('resolveSecret', () => {
  it('uses the configured value and writes nothing', () => {
    const dataDir = folder();
    expect(resolveSecret({ configured: 'from-the-environment', dataDir, file: 'x.key' })).toBe('from-the-environment');
    expect(fs.existsSync(path.join(dataDir, 'x.key'))).toBe(false);
  });

  it('generates the secret once into a file only its user can read', () => {
    const dataDir = folder();
    const first = resolveSecret({ configured: undefined, dataDir, file: 'x.key', bytes: 32 });
    expect(first).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(fs.statSync(path.join(dataDir, 'x.key')).mode & 0o777).toBe(0o600);
    expect(resolveSecret({ configured: undefined, dataDir, file: 'x.key' })).toBe(first);
  });

  it('refuses an empty file rather than silently replacing a secret others may hold', () => {
    const dataDir = folder();
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(path.join(dataDir, 'x.key'), '');
    expect(readSecret(path.join(dataDir, 'x.key'))).toBeUndefined();
    expect(() => resolveSecret({ configured: undefined, dataDir, file: 'x.key' })).toThrow(/is empty/);
  });
});
