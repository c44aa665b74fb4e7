import { describe, expect, it } from 'vitest';
import { STAGE_MS, statusAfter } from './pharmacy.js';
import { useTestSimulators } from './test-support.js';

describe('statusAfter', () => {
  it('advances one stage every STAGE_MS and stays picked up; ids ending in 0000 are canceled after received', () => {
    expect([0, STAGE_MS - 1, STAGE_MS, 2 * STAGE_MS, 3 * STAGE_MS, 100 * STAGE_MS].map((ms) => statusAfter('rx-1', ms))).toEqual([
      'received', 'received', 'filled', 'ready', 'picked_up', 'picked_up',
    ]);
    expect([0, STAGE_MS, 5 * STAGE_MS].map((ms) => statusAfter('rx-10000', ms))).toEqual(['received', 'canceled', 'canceled']);
  });
});

describe('GET /pharmacy/prescriptions/{id}', () => {
  let clock = 1_700_000_000_000;
  const sim = useTestSimulators({}, { now: () => clock });
  const status = async (id: string) => (await sim.call('GET', `/pharmacy/prescriptions/${id}`)).body;

  it('follows a prescription from when it was first asked about', async () => {
    expect(await status('rx-1')).toEqual({ id: 'rx-1', status: 'received' });
    clock += STAGE_MS;
    expect(await status('rx-1')).toEqual({ id: 'rx-1', status: 'filled' });
    // First seen now: another prescription starts at the beginning.
    expect(await status('rx-2')).toEqual({ id: 'rx-2', status: 'received' });
    clock += 2 * STAGE_MS;
    expect(await status('rx-1')).toEqual({ id: 'rx-1', status: 'picked_up' });
    expect(await status('rx-2')).toEqual({ id: 'rx-2', status: 'ready' });
    expect(await status('rx-50000')).toEqual({ id: 'rx-50000', status: 'received' });
    clock += STAGE_MS;
    expect(await status('rx-50000')).toEqual({ id: 'rx-50000', status: 'canceled' });
  });

  it('forgets every prescription on reset', async () => {
    await status('rx-3');
    clock += 3 * STAGE_MS;
    await sim.call('POST', '/admin/reset');
    expect(await status('rx-3')).toEqual({ id: 'rx-3', status: 'received' });
  });

  it('refuses an id it cannot hold and a method it does not serve', async () => {
    const bad = await sim.call('GET', `/pharmacy/prescriptions/${encodeURIComponent('rx 1')}`);
    expect(bad.status).toBe(400);
    expect((bad.body as { error: { code: string } }).error.code).toBe('BAD_USER_INPUT');
    expect((await sim.call('GET', '/pharmacy/prescriptions/%E0%A4%A')).status).toBe(400);
    expect((await sim.call('POST', '/pharmacy/prescriptions/rx-1', { body: {} })).status).toBe(405);
    expect((await sim.call('GET', '/pharmacy/prescriptions/')).status).toBe(404);
  });
});
