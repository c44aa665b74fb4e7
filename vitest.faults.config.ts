import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

// `npm run test:faults`: test/faults/*.fault.test.ts kill processes and stop servers under
// bounded loopback load (a subgraph killed with SIGKILL, PostgreSQL stopped and restarted, two
// gateway replicas sharing limits). Not part of `npm test`: each one spends seconds waiting
// for a failure and a recovery. One file at a time, so one fault never meets another's load.
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ['test/faults/**/*.fault.test.ts'],
    exclude: ['node_modules/**', '.caregraph/**'],
    fileParallelism: false,
    testTimeout: 120_000,
  },
});
