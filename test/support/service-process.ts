/**
 * A service or worker as its own process (scripts/service.ts, as a deployment runs it), for the
 * fault tests that kill one with SIGKILL and start it again.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { ROOT } from '../../lib/services.js';
import { PROCESS_READY_MESSAGE } from '../../scripts/service-process.js';

/** Starts `name` (`observability`, `erp-worker` …) with `env` over this process's; resolves once it is ready. */
export async function startServiceProcess(name: string, env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts', 'service.ts'), name], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + String(chunk)).slice(-2000)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start within 60 s: ${stderr}`)), 60_000);
    child.on('message', (message) => {
      if ((message as { type?: string } | null)?.type !== PROCESS_READY_MESSAGE) return;
      clearTimeout(timer);
      resolve();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code}) before it was ready: ${stderr}`));
    });
  });
  return child;
}

/** SIGKILL, and waits for the exit; a process gone already is left alone. */
export async function killProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}
