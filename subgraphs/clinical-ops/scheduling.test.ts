/** The scheduling rules, pure: overlap, the lifecycle's moves, well-formed bookings, first-fit. */
import { describe, expect, it } from 'vitest';
import { type CareGraphError } from '../../lib/errors.js';
import { APPOINTMENT_STATUSES, assertTransition, firstFit, isBlocking, overlaps, parseReason, parseSlot, TRANSITIONS, type AppointmentStatus, type Slot } from './scheduling.js';

const at = (time: string, durationMinutes: number): Slot => ({ startsAt: new Date(`2030-01-01T${time}:00Z`), durationMinutes });

describe('overlaps', () => {
  it('is true for slots sharing any minute, either way round', () => {
    expect(overlaps(at('09:00', 30), at('09:15', 30))).toBe(true);
    expect(overlaps(at('09:15', 30), at('09:00', 30))).toBe(true);
    expect(overlaps(at('09:00', 60), at('09:15', 5))).toBe(true);
    expect(overlaps(at('09:00', 30), at('09:00', 30))).toBe(true);
  });

  it('is false for back-to-back and apart slots (half-open intervals)', () => {
    expect(overlaps(at('09:00', 30), at('09:30', 30))).toBe(false);
    expect(overlaps(at('09:30', 30), at('09:00', 30))).toBe(false);
    expect(overlaps(at('09:00', 30), at('11:00', 30))).toBe(false);
  });
});

describe('the lifecycle', () => {
  const code = (from: AppointmentStatus, to: AppointmentStatus) => {
    try {
      assertTransition(from, to);
      return 'ok';
    } catch (error) {
      return (error as CareGraphError).extensions;
    }
  };

  it('allows SCHEDULED → CHECKED_IN → COMPLETED and SCHEDULED → CANCELED | NO_SHOW, nothing else', () => {
    const allowed = APPOINTMENT_STATUSES.flatMap((from) => APPOINTMENT_STATUSES.filter((to) => code(from, to) === 'ok').map((to) => `${from}→${to}`));
    expect(allowed.sort()).toEqual(['checked_in→completed', 'scheduled→canceled', 'scheduled→checked_in', 'scheduled→no_show']);
  });

  it('refuses the others with INVALID_TRANSITION naming both states as the API spells them', () => {
    expect(code('scheduled', 'completed')).toEqual({ code: 'INVALID_TRANSITION', from: 'SCHEDULED', to: 'COMPLETED' });
    expect(code('completed', 'scheduled')).toEqual({ code: 'INVALID_TRANSITION', from: 'COMPLETED', to: 'SCHEDULED' });
    expect(code('canceled', 'canceled')).toEqual({ code: 'INVALID_TRANSITION', from: 'CANCELED', to: 'CANCELED' });
  });

  it('only SCHEDULED and CHECKED_IN hold a slot, and end states have no way out', () => {
    expect(APPOINTMENT_STATUSES.filter(isBlocking)).toEqual(['scheduled', 'checked_in']);
    expect(TRANSITIONS.completed).toEqual([]);
    expect(TRANSITIONS.no_show).toEqual([]);
  });
});

describe('parseSlot and parseReason', () => {
  const now = new Date('2030-01-01T00:00:00Z');
  const argumentOf = (work: () => unknown) => {
    try {
      work();
      return undefined;
    } catch (error) {
      return (error as CareGraphError).extensions;
    }
  };

  it('accepts an instant with its zone, in range', () => {
    expect(parseSlot('2030-01-02T09:30:00+01:00', 30, now)).toEqual({ startsAt: new Date('2030-01-02T08:30:00Z'), durationMinutes: 30 });
  });

  it.each([
    ['2030-01-02T09:30:00', 30, 'input.startsAt'],
    ['tomorrow', 30, 'input.startsAt'],
    ['2029-12-31T23:59:00Z', 30, 'input.startsAt'],
    ['2033-01-01T00:00:00Z', 30, 'input.startsAt'],
    ['2030-01-02T09:30:00Z', 4, 'input.durationMinutes'],
    ['2030-01-02T09:30:00Z', 481, 'input.durationMinutes'],
    ['2030-01-02T09:30:00Z', 30.5, 'input.durationMinutes'],
  ])('refuses %s for %s minutes, naming %s', (startsAt, minutes, argument) => {
    expect(argumentOf(() => parseSlot(startsAt, minutes, now))).toEqual({ code: 'BAD_USER_INPUT', argument });
  });

  it('trims the reason and refuses an empty or overlong one', () => {
    expect(parseReason('  Annual check-up ')).toBe('Annual check-up');
    expect(argumentOf(() => parseReason('   '))).toEqual({ code: 'BAD_USER_INPUT', argument: 'input.reason' });
    expect(argumentOf(() => parseReason('x'.repeat(501)))).toEqual({ code: 'BAD_USER_INPUT', argument: 'input.reason' });
  });
});

describe('firstFit', () => {
  it('books overlapping slots on different resources and reuses a freed one', () => {
    const slots = [at('09:00', 60), at('09:30', 60), at('10:00', 30), at('10:30', 30)];
    expect(firstFit(slots)).toEqual([0, 1, 0, 0]);
  });

  it('lets slots that hold nothing share a resource, and never puts two holding slots together', () => {
    const slots = [
      { ...at('09:00', 60), status: 'canceled' },
      { ...at('09:00', 60), status: 'scheduled' },
      { ...at('09:10', 20), status: 'scheduled' },
    ];
    const assigned = firstFit(slots, { resources: 2, holds: (slot) => slot.status !== 'canceled' });
    expect(assigned[1]).not.toBe(assigned[2]);
    expect(assigned[0]).toBe(0);
  });

  it('starts from the preferred resource and grows when every one is busy', () => {
    const slots = [at('09:00', 60), at('09:00', 60), at('09:00', 60)];
    expect(firstFit(slots, { resources: 2, prefer: () => 1 })).toEqual([1, 0, 2]);
  });
});
