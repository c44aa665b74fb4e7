/**
 * How one attempt settles: completed; retried for an ordinary error; dead-lettered at once for a
 * FinalJobError; and refused — dead-lettered and logged as a security event — when the job is
 * not signed with the job key. (Against the database: jobs.int.test.ts.)
 */
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import type { Job } from 'pg-boss';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../logger.js';
import { FinalJobError } from './errors.js';
import { settle, type Processor } from './runner.js';
import { jobSigningKey, signJob } from './signing.js';
import { userContext } from './test-support.js';

const key = jobSigningKey('r'.repeat(43));

function capture() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: createLogger('runner-test', 'info', sink) };
}

const jobOf = (data: unknown): Job<unknown> => ({
  id: randomUUID(),
  name: 'tenancy.work',
  data,
  expireInSeconds: 60,
  heartbeatSeconds: null,
  retryCount: 0,
  signal: new AbortController().signal,
});

const signed = () => signJob(key, { id: randomUUID(), route: 'queue:tenancy.work', context: userContext(randomUUID()), data: { n: 1 } });

describe('settle', () => {
  it('completes a signed job its processor accepts, and hands it the verified claims', async () => {
    const { logger } = capture();
    const job = jobOf(signed());
    let seen: unknown;
    const result = await settle(job, async (claims) => void (seen = claims.data), { key, logger });
    expect(result).toEqual({ id: job.id, status: 'completed' });
    expect(seen).toEqual({ n: 1 });
  });

  it('fails an attempt that threw, for a retry, keeping only the error’s name, message and code', async () => {
    const { logger } = capture();
    const job = jobOf(signed());
    const boom: Processor = async () => {
      throw Object.assign(new Error('connection reset'), { code: '08006', detail: 'row (id)=(secret)' });
    };
    expect(await settle(job, boom, { key, logger })).toEqual({ id: job.id, status: 'failed', output: { name: 'Error', message: 'connection reset', code: '08006' } });
  });

  it('dead-letters at once on FinalJobError', async () => {
    const { logger } = capture();
    const job = jobOf(signed());
    const final: Processor = async () => {
      throw new FinalJobError('the claim was withdrawn');
    };
    expect(await settle(job, final, { key, logger })).toMatchObject({ status: 'deadletter', output: { name: 'FinalJobError' } });
  });

  it('refuses a job not signed with the key without running it, as a security event', async () => {
    const { lines, logger } = capture();
    let ran = false;
    const forged = { ...signed(), sig: 'f'.repeat(64) };
    const job = jobOf(forged);
    const result = await settle(job, async () => void (ran = true), { key, logger });
    expect(ran).toBe(false);
    expect(result).toMatchObject({ id: job.id, status: 'deadletter', output: { name: 'RefusedJobError' } });
    expect(lines).toContainEqual(expect.objectContaining({ securityEvent: 'job_refused', jobId: job.id, queue: 'tenancy.work', level: 40 }));
  });
});
