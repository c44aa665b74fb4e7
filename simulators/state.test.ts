import { describe, expect, it } from 'vitest';
import { SimulatorState } from './state.js';
import type { Receipt } from './system.js';

const receipt = (id: string): Receipt => ({ request: { id }, answer: { status: 200, body: { id } }, receivedAt: '2025-01-01T00:00:00.000Z' });

describe('SimulatorState', () => {
  it('counts attempts per system and identity', () => {
    const state = new SimulatorState(new Set());
    expect([state.attempt('ehr', 'a'), state.attempt('ehr', 'a'), state.attempt('ehr', 'b'), state.attempt('pharmacy', 'a')]).toEqual([1, 2, 1, 1]);
  });

  it('replays a receipt per system, scope and key, counting receipts and duplicates', () => {
    const state = new SimulatorState(new Set(['payer_claims', 'messaging']));
    expect(state.replay('payer_claims', 'acme', 'k1')).toBeUndefined();
    state.record('payer_claims', 'acme', 'k1', receipt('1'));
    expect(state.replay('payer_claims', 'acme', 'k1')?.answer.body).toEqual({ id: '1' });
    expect(state.replay('payer_claims', 'other-payer', 'k1')).toBeUndefined();
    expect(state.replay('messaging', 'acme', 'k1')).toBeUndefined();
    expect(state.receipt('payer_claims', 'acme', 'k1')?.request).toEqual({ id: '1' });
    const stats = state.stats();
    expect(stats.payer_claims).toMatchObject({ received: 1, distinctKeys: 1, duplicatesAnswered: 1 });
    expect(stats.messaging).toMatchObject({ received: 0, distinctKeys: 0, duplicatesAnswered: 0 });
    expect(stats.ehr).not.toHaveProperty('received');
  });

  it('shows a forgotten receipt received a second time: received exceeds distinctKeys', () => {
    const state = new SimulatorState(new Set(['payer_claims']), { receipts: 1, seenKeys: 10, entries: 10 });
    state.record('payer_claims', 'acme', 'k1', receipt('1'));
    state.record('payer_claims', 'acme', 'k2', receipt('2'));
    expect(state.replay('payer_claims', 'acme', 'k1'), 'evicted').toBeUndefined();
    state.record('payer_claims', 'acme', 'k1', receipt('1 again'));
    expect(state.stats().payer_claims).toMatchObject({ received: 3, distinctKeys: 2, duplicatesAnswered: 0 });
  });

  it('counts outcomes into requests, keeps records per system, and forgets everything on clear()', () => {
    const state = new SimulatorState(new Set(['payer_claims']));
    state.count('pharmacy', 'ok');
    state.count('pharmacy', 'failed');
    state.count('pharmacy', 'timeout');
    expect(state.stats().pharmacy).toEqual({ requests: 3, outcomes: { ok: 1, refused: 0, failed: 1, timeout: 1, malformed: 0 } });
    state.recordsOf('pharmacy').set('rx-1', 5);
    expect(state.recordsOf('pharmacy').get('rx-1')).toBe(5);
    expect(state.recordsOf('ehr').get('rx-1')).toBeUndefined();
    state.record('payer_claims', 'acme', 'k1', receipt('1'));
    state.attempt('pharmacy', 'rx-1');
    state.clear();
    expect(state.stats().pharmacy.requests).toBe(0);
    expect(state.stats().payer_claims).toMatchObject({ received: 0, distinctKeys: 0 });
    expect(state.recordsOf('pharmacy').get('rx-1')).toBeUndefined();
    expect(state.receipt('payer_claims', 'acme', 'k1')).toBeUndefined();
    expect(state.attempt('pharmacy', 'rx-1')).toBe(1);
  });
});
