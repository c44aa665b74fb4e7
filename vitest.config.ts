import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

// Tiers by suffix: *.test.ts in-process units, *.int.test.ts against real PostgreSQL,
// test/**/*.e2e.test.ts through the gateway with all four subgraphs. One PostgreSQL (embedded,
// or a fresh database on DATABASE_URL's server) is prepared once by the global setup.
// bench/ is left out: its test starts three gateways and `npm start`, minutes of two busy
// cores; `npm run test:bench` runs it (bench/vitest.config.ts) with the same global setup.
// test/browser/ is left out too: it drives Chromium; `npm run test:browser` runs it
// (vitest.browser.config.ts). test/faults/ kill and restart processes: `npm run test:faults`
// (vitest.faults.config.ts).
export default defineConfig({
  resolve: {
    // Vite would pick graphql's ESM build while the Apollo packages require() its CommonJS
    // build: two graphql instances fail each other's instanceof checks. Node itself resolves
    // both to the CommonJS build, so tests do the same.
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', '.caregraph/**', 'bench/**', 'test/browser/**', 'test/faults/**'],
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    // Services started in-process log to stdout; tests assert on responses and rows instead.
    env: { LOG_LEVEL: 'silent' },
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
});
