/** When a release-gated change may apply: inside the tier's weekly window at once, else at its next opening. */
import { describe, expect, it } from 'vitest';
import { nextWindowOpening } from './governance.js';

// Tuesday and Wednesday, 14:00–17:00 UTC: the critical tier's window as migration 008 seeds it.
const window = { days: [2, 3], startHour: 14, endHour: 17 };
const at = (iso: string) => new Date(iso);

describe('nextWindowOpening', () => {
  it('is now inside the window, and without a window', () => {
    expect(nextWindowOpening(window, at('2026-12-01T15:30:00Z'))).toEqual(at('2026-12-01T15:30:00Z'));
    expect(nextWindowOpening(null, at('2026-12-03T03:00:00Z'))).toEqual(at('2026-12-03T03:00:00Z'));
  });

  it('is the same day’s opening before it, the next window day’s after it, and next week’s after the last', () => {
    expect(nextWindowOpening(window, at('2026-12-01T09:00:00Z'))).toEqual(at('2026-12-01T14:00:00Z'));
    expect(nextWindowOpening(window, at('2026-12-01T17:00:00Z'))).toEqual(at('2026-12-02T14:00:00Z'));
    expect(nextWindowOpening(window, at('2026-12-03T10:00:00Z'))).toEqual(at('2026-12-08T14:00:00Z'));
  });
});
