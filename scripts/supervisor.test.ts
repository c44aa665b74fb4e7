/**
 * The launcher's supervisor with real processes: one that dies is started again after a delay
 * that doubles with each crash in a row, the reason is logged, and nothing is restarted once the
 * platform stops.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { Supervisor } from './supervisor.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Supervisor', () => {
  it('restarts a crashing process with doubling delays, logging why, and stops restarting on stop()', async () => {
    const logs: string[] = [];
    const starts: number[] = [];
    const supervisor = new Supervisor({ initialDelayMs: 100, maxDelayMs: 400, log: (message) => logs.push(message) });
    supervisor.supervise('crasher', () => {
      starts.push(Date.now());
      return spawn(process.execPath, ['-e', 'process.exit(3)'], { stdio: 'ignore' });
    });
    while (starts.length < 4) await sleep(20);
    expect(logs[0]).toMatch(/^crasher exited with code 3 after \d+\.\d s; restarting in 0\.1 s$/);
    expect(logs[1]).toMatch(/restarting in 0\.2 s \(failure 2 in a row\)$/);
    expect(logs[2]).toMatch(/restarting in 0\.4 s \(failure 3 in a row\)$/);
    const gaps = starts.slice(1).map((at, i) => at - starts[i]!);
    // Each gap is the process's own life plus the delay: at least the delay, and the delays grow.
    expect(gaps[0]).toBeGreaterThanOrEqual(100);
    expect(gaps[1]).toBeGreaterThanOrEqual(200);
    expect(gaps[2]).toBeGreaterThanOrEqual(400);
    expect(supervisor.stop().length).toBeLessThanOrEqual(1);
    const stoppedAt = starts.length;
    await sleep(700);
    expect(starts.length).toBe(stoppedAt);
  });

  it('names the signal that killed a process and starts it again; the others are left alone', async () => {
    const logs: string[] = [];
    const supervisor = new Supervisor({ initialDelayMs: 50, log: (message) => logs.push(message) });
    const long = () => spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    const first = supervisor.supervise('victim', long);
    const bystander = supervisor.supervise('bystander', long);
    await sleep(100);
    first.kill('SIGKILL');
    while (supervisor.current('victim') === first) await sleep(20);
    expect(logs).toEqual([expect.stringMatching(/^victim killed by SIGKILL after \d+\.\d s; restarting in 0\.1 s$/)]);
    expect(supervisor.current('victim')!.pid).not.toBe(first.pid);
    expect(supervisor.current('bystander')).toBe(bystander);
    expect(bystander.exitCode).toBeNull();
    const running = supervisor.stop();
    expect(running).toHaveLength(2);
    for (const child of running) child.kill('SIGKILL');
  });
});
