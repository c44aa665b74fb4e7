/**
 * A worker in a process of its own, for worker.int.test.ts, configured like any service from the
 * environment (DATABASE_APP_URL, CAREGRAPH_DATA_DIR …) plus FIXTURE_QUEUE, FIXTURE_MODE
 * (`block`: the handler never returns; `slow`: it takes FIXTURE_SLOW_MS) and FIXTURE_SHUTDOWN_MS.
 * Its handler records the job's effect and then blocks or waits. It reports on stdout — `ready`,
 * `taken <job id> <attempt>`, `done <job id>`, `closed` — and stops on SIGTERM as the launcher
 * stops a worker.
 */
import { loadConfig } from '../config.js';
import { defineQueue } from './queues.js';
import { recordEffect, TEST_TUNING } from './test-support.js';
import { defineWorker, startWorker } from './worker.js';

const { FIXTURE_QUEUE = '', FIXTURE_MODE = 'slow', FIXTURE_SLOW_MS = '1000', FIXTURE_SHUTDOWN_MS = '5000' } = process.env;
const queue = defineQueue({ name: FIXTURE_QUEUE, concurrency: { perWorker: 1 } });

const definition = defineWorker({
  service: 'jobs-fixture',
  dbSchema: 'clinical_ops',
  consumers: [],
  relay: false,
  jobs: [
    {
      queue,
      async handle(job, tx) {
        await recordEffect(tx, queue.name, job.id);
        console.log(`taken ${job.id} ${job.attempt}`);
        if (FIXTURE_MODE === 'block') await new Promise(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, Number(FIXTURE_SLOW_MS)));
        console.log(`done ${job.id}`);
      },
    },
  ],
});

const worker = await startWorker(definition, { config: loadConfig(), tuning: { ...TEST_TUNING, shutdownTimeoutMs: Number(FIXTURE_SHUTDOWN_MS) } });
console.log('ready');
process.on('SIGTERM', () => {
  worker.close().then(
    () => {
      console.log('closed');
      process.exit(0);
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
});
