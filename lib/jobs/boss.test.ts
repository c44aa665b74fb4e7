import { afterEach, describe, expect, it, vi } from 'vitest';
import { clientTx } from '../db/database.js';
import { bossErrorReporter, CONNECTION_LOSS_GRACE_MS, inTransaction, isConnectionLoss } from './boss.js';

describe('isConnectionLoss', () => {
  it('recognises a server that ended or refused the connection', () => {
    expect(isConnectionLoss(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }))).toBe(true);
    expect(isConnectionLoss(Object.assign(new Error('the database system is shutting down'), { code: '57P03' }))).toBe(true);
    expect(isConnectionLoss(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isConnectionLoss(new Error('Connection terminated unexpectedly'))).toBe(true);
  });
  it('leaves every other failure an error', () => {
    expect(isConnectionLoss(Object.assign(new Error('permission denied for table job'), { code: '42501' }))).toBe(false);
    expect(isConnectionLoss(new Error('boom'))).toBe(false);
    expect(isConnectionLoss(null)).toBe(false);
  });
});

describe('bossErrorReporter', () => {
  const recorder = () => {
    const lines: [string, string][] = [];
    return { lines, logger: { error: (_: unknown, message: string) => void lines.push(['error', message]), debug: (_: unknown, message: string) => void lines.push(['debug', message]) } };
  };
  const lost = () => Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
  afterEach(() => vi.useRealTimers());

  it('reports another failure at once', () => {
    const { lines, logger } = recorder();
    bossErrorReporter(logger as never)(new Error('permission denied'));
    expect(lines).toEqual([['error', 'pg-boss error']]);
  });

  it('holds a lost connection for the grace period: an error if the process is still running then, a debug line if it began to stop', () => {
    vi.useFakeTimers();
    let stopping = false;
    const { lines, logger } = recorder();
    const report = bossErrorReporter(logger as never, () => stopping);
    report(lost());
    expect(lines).toEqual([]);
    vi.advanceTimersByTime(CONNECTION_LOSS_GRACE_MS);
    expect(lines).toEqual([['error', 'pg-boss error']]);
    report(lost());
    // The signal is handled within the grace: the loss was the platform stopping.
    stopping = true;
    vi.advanceTimersByTime(CONNECTION_LOSS_GRACE_MS);
    expect(lines).toEqual([['error', 'pg-boss error'], ['debug', 'pg-boss lost its connection while stopping']]);
  });
});

describe('inTransaction', () => {
  it('sends statements pg-boss issues together one after the other through the transaction handle, a failed one not stopping the next', async () => {
    const log: string[] = [];
    // A connection that would run whatever it is sent at once (node-postgres 9 refuses instead).
    const connection = {
      async query(text: string) {
        log.push(`start ${text}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
        log.push(`end ${text}`);
        if (text === 'b') throw new Error('refused');
        return { rows: [{ text }] };
      },
    };
    const db = inTransaction(clientTx(connection as never));
    const results = await Promise.allSettled(['a', 'b', 'c'].map((text) => db.executeSql(text, [])));
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(results[2]).toEqual({ status: 'fulfilled', value: { rows: [{ text: 'c' }] } });
  });
});
