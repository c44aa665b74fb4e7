import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './services.js';

/** Runs a process that passes the fault point `claims.after-send` and then prints `survived`. */
function run(env: Record<string, string>) {
  const script = `import { faultPoint } from ${JSON.stringify(path.join(ROOT, 'lib/fault-points.ts'))}; faultPoint('claims.after-send'); console.log('survived');`;
  return spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8' });
}

describe('faultPoint', () => {
  it('kills the process with SIGKILL at the named point, and only there', () => {
    expect(run({ CAREGRAPH_FAULT_POINT: 'claims.after-send', NODE_ENV: 'test' }).signal).toBe('SIGKILL');
    const elsewhere = run({ CAREGRAPH_FAULT_POINT: 'reminders.after-send', NODE_ENV: 'test' });
    expect([elsewhere.signal, elsewhere.stdout.trim()]).toEqual([null, 'survived']);
  });

  it('never fires in production', () => {
    const production = run({ CAREGRAPH_FAULT_POINT: 'claims.after-send', NODE_ENV: 'production' });
    expect([production.signal, production.stdout.trim()]).toEqual([null, 'survived']);
  });
});
