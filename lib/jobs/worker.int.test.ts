/**
 * The worker runtime as a process (worker.fixture.ts, started with `node --import tsx`):
 * - killed with SIGKILL in the middle of a job, the job runs again after its expiry on another
 *   worker and its effect happens once;
 * - sent SIGTERM with a job in hand, it lets the job finish, then exits;
 * - sent SIGTERM with a job that outlasts the shutdown timeout, it releases the job (its
 *   transaction rolls back) and exits, and another worker completes it: nothing is lost;
 * - it does not start on queues or subscriptions the migration has not declared.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { adminUrl, bindingKey, testConfig } from '../../test/support/platform.js';
import { TEST_APP_PASSWORD, testEnvironment } from '../../test/support/env.js';
import { appUrl, Database } from '../db/index.js';
import { createLogger } from '../logger.js';
import { ROOT, type RunningWorker } from '../services.js';
import { JobProducer } from './enqueue.js';
import { defineConsumer } from '../events/consumer.js';
import { defineQueue } from './queues.js';
import { declareTestQueues, effectsOf, jobsOf, recordEffect, seededTenants, TEST_TUNING, uniqueSuffix, userContext, waitFor } from './test-support.js';
import { defineWorker, startWorker } from './worker.js';

const suffix = uniqueSuffix();
const queue = (purpose: string) =>
  defineQueue({ name: `workertest-${suffix}.${purpose}`, expireInSeconds: 2, retryLimit: 3, retryDelaySeconds: 1, retryDelayMaxSeconds: 1, concurrency: { perWorker: 1 } });
const killed = queue('killed');
const finished = queue('finished');
const released = queue('released');
const url = () => appUrl(adminUrl(), TEST_APP_PASSWORD);

/** A worker process and what it has printed. */
interface Child {
  process: ChildProcess;
  lines: string[];
  exited: Promise<number | null>;
  line(pattern: RegExp, timeoutMs?: number): Promise<string>;
}

function spawnWorker(target: typeof killed, mode: 'block' | 'slow', options: { slowMs?: number; shutdownMs?: number } = {}): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./worker.fixture.ts', import.meta.url))], {
    cwd: ROOT,
    env: {
      ...process.env,
      ...testEnvironment(inject('dataDir')),
      DATABASE_APP_URL: url(),
      FIXTURE_QUEUE: target.name,
      FIXTURE_MODE: mode,
      FIXTURE_SLOW_MS: String(options.slowMs ?? 1000),
      FIXTURE_SHUTDOWN_MS: String(options.shutdownMs ?? 5000),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => lines.push(...String(chunk).split('\n').filter(Boolean)));
  child.stderr.on('data', (chunk: Buffer) => (stderr += String(chunk)));
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      if (code) console.error(`worker process exited with ${code}: ${stderr.slice(-2000)}`);
      resolve(code);
    }),
  );
  return {
    process: child,
    lines,
    exited,
    line: (pattern, timeoutMs = 20_000) =>
      waitFor(`a worker line matching ${pattern} (stderr: ${stderr.slice(-500)})`, async () => lines.find((line) => pattern.test(line)), timeoutMs),
  };
}

/** An in-process worker on `target` with the fixture's effect: the one that picks up what a process left. */
async function rescuer(target: typeof killed, attempts: number[]): Promise<RunningWorker> {
  const definition = defineWorker({
    service: 'jobs-rescuer',
    dbSchema: 'clinical_ops',
    consumers: [],
    relay: false,
    jobs: [{ queue: target, handle: async (job, tx) => (attempts.push(job.attempt), recordEffect(tx, target.name, job.id)) }],
  });
  return startWorker(definition, { config: testConfig(), databaseUrl: url(), tuning: TEST_TUNING });
}

let dropQueues: () => Promise<void>;
let producer: Awaited<ReturnType<typeof JobProducer.open>>;
let db: Database;
let tenant: string;
const children: Child[] = [];
const workers: RunningWorker[] = [];

beforeAll(async () => {
  dropQueues = await declareTestQueues(adminUrl(), [killed, finished, released]);
  [tenant] = (await seededTenants(adminUrl(), 1)) as [string];
  producer = await JobProducer.open({ url: url(), bindingKey: bindingKey(), logger: createLogger('worker-test', 'silent') });
  db = new Database({ url: url(), schema: 'clinical_ops', poolSize: 2, bindingKey: bindingKey() });
  // Started together: each takes a few seconds to load.
  children.push(spawnWorker(killed, 'block'), spawnWorker(finished, 'slow', { slowMs: 1500, shutdownMs: 5000 }), spawnWorker(released, 'slow', { slowMs: 4000, shutdownMs: 1000 }));
  await Promise.all(children.map((child) => child.line(/^ready$/)));
});
afterAll(async () => {
  for (const child of children) if (child.process.exitCode === null) child.process.kill('SIGKILL');
  await Promise.all(workers.map((worker) => worker.close()));
  await producer?.close();
  await db?.close();
  await dropQueues?.();
});

const enqueue = (target: typeof killed) => {
  const context = userContext(tenant);
  return db.withTenant(context, (tx) => producer.enqueue(tx, target, context, { step: 'send-claim' }));
};
const completed = (target: typeof killed, id: string) =>
  waitFor(`job ${id} to complete`, async () => (await jobsOf(adminUrl(), target.name, id)).find((job) => job.state === 'completed'), 20_000);

describe('a worker process', () => {
  it('killed with SIGKILL mid-job: the job runs again after its expiry, and its effect happens once', async () => {
    const [child] = children as [Child];
    const id = await enqueue(killed);
    await child.line(new RegExp(`^taken ${id} 1$`));
    child.process.kill('SIGKILL');
    expect(await child.exited).toBeNull();
    expect(await effectsOf(adminUrl(), killed.name, id)).toBe(0);
    const attempts: number[] = [];
    workers.push(await rescuer(killed, attempts));
    const job = await completed(killed, id);
    expect(job.retry_count).toBeGreaterThanOrEqual(1);
    expect(attempts).toEqual([job.retry_count + 1]);
    expect(await effectsOf(adminUrl(), killed.name, id)).toBe(1);
  });

  it('sent SIGTERM with a job in hand: lets it finish, then exits', async () => {
    const child = children[1]!;
    const id = await enqueue(finished);
    await child.line(new RegExp(`^taken ${id} 1$`));
    child.process.kill('SIGTERM');
    expect(await child.exited).toBe(0);
    expect(child.lines).toEqual(['ready', `taken ${id} 1`, `done ${id}`, 'closed']);
    expect((await jobsOf(adminUrl(), finished.name, id))[0]).toMatchObject({ state: 'completed', retry_count: 0 });
    expect(await effectsOf(adminUrl(), finished.name, id)).toBe(1);
  });

  it('sent SIGTERM with a job that outlasts the shutdown timeout: releases it uncommitted, and another worker completes it', async () => {
    const child = children[2]!;
    const id = await enqueue(released);
    await child.line(new RegExp(`^taken ${id} 1$`));
    child.process.kill('SIGTERM');
    expect(await child.exited).toBe(0);
    // The handler returned after the worker had given the job up: its transaction rolled back.
    expect(child.lines).toContain('closed');
    expect(await effectsOf(adminUrl(), released.name, id)).toBe(0);
    const attempts: number[] = [];
    workers.push(await rescuer(released, attempts));
    const job = await completed(released, id);
    expect(job.retry_count).toBeGreaterThanOrEqual(1);
    expect(await effectsOf(adminUrl(), released.name, id)).toBe(1);
  });
});

describe('a worker', () => {
  it('does not start on a queue, or an event subscription, that `npm run migrate` has not declared', async () => {
    const start = (definition: ReturnType<typeof defineWorker>) => startWorker(definition, { config: testConfig(), databaseUrl: url(), tuning: TEST_TUNING });
    const undeclared = defineQueue({ name: `workertest-${suffix}.undeclared` });
    await expect(start(defineWorker({ service: 'jobs-test', dbSchema: 'clinical_ops', consumers: [], relay: false, jobs: [{ queue: undeclared, handle: async () => undefined }] }))).rejects.toThrow(
      /undeclared does not exist: run npm run migrate/,
    );
    // `killed` exists, but no migration subscribed it to any event.
    const consumer = defineConsumer({ name: 'unsubscribed', queue: killed, type: 'clinical-ops.break-glass.declared', handle: async () => undefined });
    await expect(start(defineWorker({ service: 'jobs-test', dbSchema: 'clinical_ops', consumers: [consumer], relay: false, jobs: [] }))).rejects.toThrow(
      /is not subscribed to clinical-ops\.break-glass\.declared: run npm run migrate/,
    );
  });
});
