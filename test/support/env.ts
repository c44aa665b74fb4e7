/** Settings shared by the global setup and the test workers. */
export const TEST_APP_PASSWORD = 'caregraph-app-test';

/**
 * The environment every test configuration starts from: the run's data folder, quiet logs.
 * Rate limits are off: suites run in parallel on one database and share users and tenants, so
 * shared counters would make one suite's requests refuse another's. The suites about rate
 * limits turn them on, with callers of their own.
 */
export function testEnvironment(dataDir: string): Record<string, string> {
  return { CAREGRAPH_DATA_DIR: dataDir, DATABASE_APP_PASSWORD: TEST_APP_PASSWORD, LOG_LEVEL: 'silent', NODE_ENV: 'test', RATE_LIMITS: 'off' };
}
