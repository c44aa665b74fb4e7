/** Examples read the environment first, then the demo credentials file, and say how to get one. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fromEnv, readDemoCredentials } from './demo-credentials.js';

let dataDir: string | undefined;
afterEach(() => {
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  dataDir = undefined;
});

describe('readDemoCredentials', () => {
  it('reads <CAREGRAPH_DATA_DIR>/demo-credentials.json', () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'caregraph-examples-'));
    fs.writeFileSync(path.join(dataDir, 'demo-credentials.json'), JSON.stringify({ gateway: 'http://127.0.0.1:4000/graphql' }));
    expect(readDemoCredentials({ CAREGRAPH_DATA_DIR: dataDir }).gateway).toBe('http://127.0.0.1:4000/graphql');
  });

  it('without the file, says to run npm start', () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'caregraph-examples-'));
    expect(() => readDemoCredentials({ CAREGRAPH_DATA_DIR: dataDir })).toThrow(/run npm start first/);
  });
});

describe('fromEnv', () => {
  it('takes the variable when set and not empty, else the fallback (read only then)', () => {
    let asked = 0;
    const fallback = () => `fallback-${++asked}`;
    expect(fromEnv({ X: 'set' }, 'X', fallback)).toBe('set');
    expect(asked).toBe(0);
    expect(fromEnv({ X: '' }, 'X', fallback)).toBe('fallback-1');
    expect(fromEnv({}, 'X', fallback)).toBe('fallback-2');
  });
});
