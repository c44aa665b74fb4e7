/** Settings shared by the global setup and the test workers. */
export const TEST_APP_PASSWORD = 'caregraph-app-test';
