import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

// `npm run test:browser`: test/browser/*.browser.test.ts drive the Debian Chromium
// (/usr/bin/chromium) with playwright-core against the platform started in-process, on the
// database the same global setup prepares. Not part of `npm test`: a browser costs the two
// cores more than the rest of an end-to-end test. One file at a time, one browser at a time.
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ['test/browser/**/*.browser.test.ts'],
    exclude: ['node_modules/**', '.caregraph/**'],
    fileParallelism: false,
    testTimeout: 120_000,
  },
});
