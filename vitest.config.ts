import { defineConfig } from 'vitest/config';

// Tiers by suffix: *.test.ts in-process units, *.int.test.ts against real PostgreSQL,
// test/**/*.e2e.test.ts through the gateway with all four subgraphs. One PostgreSQL (embedded,
// or a fresh database on DATABASE_URL's server) is prepared once by the global setup.
export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', '.caregraph/**'],
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
});
