/**
 * A pharmacy network's e-prescription status API.
 *
 *   GET /pharmacy/prescriptions/{id}    200 { id, status }
 *
 * The pharmacy learns of a prescription when it is first asked about it; from then its status
 * advances with the time since, one stage every STAGE_MS: received → filled → ready →
 * picked_up. A prescription whose id ends in "0000" is canceled after it was received.
 */
import { pathParam, type SimulatedSystem } from './system.js';

export const PRESCRIPTION_STATUSES = ['received', 'filled', 'ready', 'picked_up', 'canceled'] as const;
export type PrescriptionStatus = (typeof PRESCRIPTION_STATUSES)[number];

/** How long each stage lasts: short enough to watch a prescription go through by hand. */
export const STAGE_MS = 10_000;

const PRESCRIPTION_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** The status of a prescription `elapsedMs` after the pharmacy first saw it. */
export function statusAfter(id: string, elapsedMs: number): PrescriptionStatus {
  const stage = Math.floor(Math.max(0, elapsedMs) / STAGE_MS);
  if (id.endsWith('0000')) return stage === 0 ? 'received' : 'canceled';
  return (['received', 'filled', 'ready', 'picked_up'] as const)[Math.min(stage, 3)]!;
}

export const pharmacy: SimulatedSystem = {
  name: 'pharmacy',
  routes: [
    {
      method: 'GET',
      path: '/pharmacy/prescriptions/:id',
      accept({ params }) {
        const id = pathParam(params, 'id', PRESCRIPTION_ID, '1–64 letters, digits, dots, hyphens or underscores');
        return {
          identity: id,
          answer({ now, records }) {
            const at = now();
            const seen = records.get(id) as number | undefined;
            if (seen === undefined) records.set(id, at);
            return { status: 200, body: { id, status: statusAfter(id, at - (seen ?? at)) } };
          },
        };
      },
    },
  ],
};
