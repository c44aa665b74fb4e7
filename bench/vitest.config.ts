import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import base from '../vitest.config.js';

// `npm run test:bench`: the benchmark harness's own test, which the default run leaves out.
// Everything else (the graphql alias, the global setup that prepares the database, the
// timeouts) is the default configuration's; the root stays the repository's, where the
// global setup's path and the data folder are.
export default defineConfig({
  ...base,
  root: path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..'),
  test: {
    ...base.test,
    include: ['bench/**/*.test.ts'],
    // bench/node_modules holds the benchmark's own packages (bench/package.json), tests included.
    exclude: ['**/node_modules/**', '.caregraph/**'],
  },
});
