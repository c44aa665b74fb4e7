import { describe, expect, it } from 'vitest';
import { isConnectionLoss } from './boss.js';

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
