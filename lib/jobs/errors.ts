/**
 * How a job handler says an attempt failed. These never reach a client (jobs have no caller
 * waiting), so they live beside the jobs rather than in the client error registry (lib/errors.ts).
 */

/**
 * Thrown by a handler when retrying cannot help (the input is invalid, the record is gone, a
 * partner refused for good): the job fails at once and goes to its dead-letter queue. Any other
 * error is retryable: the job runs again after a backoff, until its retry limit.
 */
export class FinalJobError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'FinalJobError';
  }
}

/**
 * A job that is not ours to run: its signature does not verify, or it names another queue or an
 * event this queue does not consume. Dead-lettered at once and logged as a security event.
 */
export class RefusedJobError extends FinalJobError {
  constructor(message: string) {
    super(message);
    this.name = 'RefusedJobError';
  }
}

/** The worker gave the job up (shutdown, or it outran its expiry): its transaction is rolled back and the job retried. */
export class ReleasedJobError extends Error {
  constructor() {
    super('The worker released the job before it finished; it will be retried');
    this.name = 'ReleasedJobError';
  }
}

/**
 * What is stored with a failed job and logged: name, message and SQLSTATE. Never a driver error's
 * `detail`, which can quote row values, and never a stack (the job table is readable by every
 * service).
 */
export function errorSummary(error: unknown): { name: string; message: string; code?: string } {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const code = (error as { code?: unknown }).code;
  return { name: error.name, message: error.message, ...(typeof code === 'string' ? { code } : {}) };
}
