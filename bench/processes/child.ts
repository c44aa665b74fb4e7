/**
 * The parent side of the benchmark's child processes: each gateway under test, the
 * subgraphs and the load generator run in a process of their own, started with the same
 * TypeScript loader as `npm start`, told what to do over IPC, and stopped by SIGTERM.
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { ROOT } from '../../lib/federation/compose.js';
import type { ChildMessage } from './serve.js';

const READY_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 15_000;

export interface ChildOptions {
  /** Environment of the child (the platform's configuration variables). */
  env: NodeJS.ProcessEnv;
  /**
   * Write V8 CPU profiles of the child into this folder when it exits: one per thread (the
   * TypeScript loader runs its hooks on a thread of its own), the main thread's the largest.
   */
  cpuProfileDirectory?: string;
}

export interface ChildHandle<Ready> {
  pid: number;
  process: ChildProcess;
  ready: Ready;
  /** Sends a message and resolves with the child's answer (for long jobs such as a load run). */
  request<Answer>(message: unknown, onEvent?: (event: unknown) => void): Promise<Answer>;
  stop(): Promise<void>;
}

/** Forks `bench/processes/<entry>.ts`, sends it `start`, and resolves once it reports ready. */
export async function startChild<Ready>(entry: string, start: unknown, options: ChildOptions): Promise<ChildHandle<Ready>> {
  const execArgv = ['--import', 'tsx'];
  if (options.cpuProfileDirectory) execArgv.push('--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDirectory}`);
  const child = fork(path.join(ROOT, 'bench', 'processes', `${entry}.ts`), [], {
    cwd: ROOT,
    execArgv,
    env: options.env,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await answerOf<Ready>(child, { type: 'start', payload: start }, READY_TIMEOUT_MS, `${entry} did not start`);
  return {
    pid: child.pid!,
    process: child,
    ready,
    request: (message, onEvent) => answerOf(child, { type: 'job', payload: message }, undefined, `${entry} failed`, onEvent),
    stop: () => stopChild(child),
  };
}

function answerOf<T>(
  child: ChildProcess,
  message: unknown,
  timeoutMs: number | undefined,
  failure: string,
  onEvent?: (event: unknown) => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = timeoutMs ? setTimeout(() => finish(new Error(`${failure}: no answer within ${timeoutMs / 1000} s`)), timeoutMs) : undefined;
    const onMessage = (received: ChildMessage) => {
      if (received.type === 'event') onEvent?.(received.payload);
      else if (received.type === 'done') finish(undefined, received.payload as T);
      else if (received.type === 'failed') finish(new Error(`${failure}: ${received.message}`));
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => finish(new Error(`${failure}: exited (${signal ?? `code ${code}`})`));
    function finish(error: Error | undefined, value?: T) {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve(value as T);
    }
    child.on('message', onMessage);
    child.once('exit', onExit);
    child.send(message as object);
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    // SIGTERM lets the child close its servers and pools (and write its CPU profile).
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
