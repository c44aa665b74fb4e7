/**
 * The scheduling rules, pure: when two appointments overlap, which appointments hold a slot,
 * which status moves are allowed, and what a well-formed booking looks like. appointments.ts
 * applies them inside the database transaction; the demo seed uses the same overlap rule to give
 * its appointments providers and locations without conflicts.
 */
import { BadUserInputError, InvalidTransitionError } from '../../lib/errors.js';

export const APPOINTMENT_STATUSES = ['scheduled', 'checked_in', 'completed', 'canceled', 'no_show'] as const;
export type AppointmentStatus = (typeof APPOINTMENT_STATUSES)[number];

/** Appointments that occupy their provider and location: the others no longer need them. */
export const BLOCKING_STATUSES: readonly AppointmentStatus[] = ['scheduled', 'checked_in'];

/**
 * The moves of an appointment's lifecycle: a booked visit is checked in when the patient arrives
 * and completed after it, or canceled or marked a no-show instead. Every other move (back to
 * SCHEDULED, completing without a check-in, anything after an end state) is refused.
 */
export const TRANSITIONS: Readonly<Record<AppointmentStatus, readonly AppointmentStatus[]>> = {
  scheduled: ['checked_in', 'canceled', 'no_show'],
  checked_in: ['completed'],
  completed: [],
  canceled: [],
  no_show: [],
};

export const DURATION_MINUTES = { min: 5, max: 480 } as const;
export const REASON_LENGTH = { min: 1, max: 500 } as const;
/** How far ahead an appointment may be booked. */
export const MAX_DAYS_AHEAD = 730;

/** A span of time, [start, start + minutes). */
export interface Slot {
  startsAt: Date;
  durationMinutes: number;
}

export const endOf = (slot: Slot): Date => new Date(slot.startsAt.getTime() + slot.durationMinutes * 60_000);

/**
 * Whether two slots share any moment. Slots are half-open, so back-to-back appointments (one
 * ends at 10:00, the next starts at 10:00) do not overlap.
 */
export function overlaps(a: Slot, b: Slot): boolean {
  return a.startsAt.getTime() < endOf(b).getTime() && b.startsAt.getTime() < endOf(a).getTime();
}

export const isBlocking = (status: string): boolean => (BLOCKING_STATUSES as readonly string[]).includes(status);

/** Throws INVALID_TRANSITION (with `from` and `to`, as the API spells them) unless `from → to` is a move of the lifecycle. */
export function assertTransition(from: AppointmentStatus, to: AppointmentStatus): void {
  if (TRANSITIONS[from].includes(to)) return;
  const allowed = TRANSITIONS[from].map(toApiStatus);
  throw new InvalidTransitionError(
    `An appointment ${toApiStatus(from)} cannot become ${toApiStatus(to)}${allowed.length ? `; it may become ${allowed.join(' or ')}` : ''}`,
    { from: toApiStatus(from), to: toApiStatus(to) },
  );
}

export const toApiStatus = (status: string): string => status.toUpperCase();

/** The stored status of an API status (`CHECKED_IN` → `checked_in`); BAD_USER_INPUT for anything else. */
export function fromApiStatus(value: string, argument = 'status'): AppointmentStatus {
  const status = value.toLowerCase();
  if (!(APPOINTMENT_STATUSES as readonly string[]).includes(status)) throw new BadUserInputError(`${argument} is not an appointment status`, { argument });
  return status as AppointmentStatus;
}

/**
 * A booking's time, checked: an ISO-8601 instant with a zone, not in the past and at most
 * MAX_DAYS_AHEAD ahead, for DURATION_MINUTES. Messages name the argument, never the value.
 */
export function parseSlot(startsAt: string, durationMinutes: number, now: Date, prefix = 'input'): Slot {
  // A bare local time would be read in the server's zone: the instant must say its offset.
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/.test(startsAt) || Number.isNaN(Date.parse(startsAt))) {
    throw new BadUserInputError(`${prefix}.startsAt must be an ISO-8601 date-time with a zone (2030-01-31T09:30:00Z)`, { argument: `${prefix}.startsAt` });
  }
  const start = new Date(startsAt);
  if (start.getTime() < now.getTime()) throw new BadUserInputError(`${prefix}.startsAt must not be in the past`, { argument: `${prefix}.startsAt` });
  if (start.getTime() > now.getTime() + MAX_DAYS_AHEAD * 86_400_000) {
    throw new BadUserInputError(`${prefix}.startsAt must be within ${MAX_DAYS_AHEAD} days`, { argument: `${prefix}.startsAt` });
  }
  if (!Number.isInteger(durationMinutes) || durationMinutes < DURATION_MINUTES.min || durationMinutes > DURATION_MINUTES.max) {
    throw new BadUserInputError(`${prefix}.durationMinutes must be between ${DURATION_MINUTES.min} and ${DURATION_MINUTES.max}`, {
      argument: `${prefix}.durationMinutes`,
    });
  }
  return { startsAt: start, durationMinutes };
}

/** The visit's reason, trimmed, 1–500 characters. */
export function parseReason(reason: string, argument = 'input.reason'): string {
  const trimmed = reason.trim();
  if (trimmed.length < REASON_LENGTH.min || trimmed.length > REASON_LENGTH.max) {
    throw new BadUserInputError(`${argument} must be ${REASON_LENGTH.min}–${REASON_LENGTH.max} characters`, { argument });
  }
  return trimmed;
}

/**
 * First-fit booking, for the demo seed: gives each slot, in start order (ties by input order), a
 * resource (provider or location) that no slot placed before it holds at that time — the first
 * free one from `prefer(slot)` on, wrapping around — and answers the resource index of each slot
 * in input order. Slots for which `holds` is false (a canceled visit) get a resource but do not
 * occupy it. `resources` are there from the start; when every one is taken a new one is numbered, so as many are used as the
 * busiest moment needs: the seed creates that many (or more).
 */
export function firstFit<T extends Slot>(
  slots: readonly T[],
  options: { resources?: number; holds?: (slot: T) => boolean; prefer?: (slot: T) => number } = {},
): number[] {
  const { resources = 1, holds = () => true, prefer = () => 0 } = options;
  const taken: Slot[][] = Array.from({ length: resources }, () => []);
  const order = slots.map((slot, index) => ({ slot, index })).sort((a, b) => a.slot.startsAt.getTime() - b.slot.startsAt.getTime() || a.index - b.index);
  const assigned: number[] = slots.map(() => 0);
  for (const { slot, index } of order) {
    const start = taken.length > 0 ? prefer(slot) % taken.length : 0;
    let free = -1;
    for (let step = 0; step < taken.length && free < 0; step++) {
      const candidate = (start + step) % taken.length;
      if (!taken[candidate]!.some((other) => overlaps(other, slot))) free = candidate;
    }
    if (free < 0) free = taken.push([]) - 1;
    assigned[index] = free;
    if (holds(slot)) taken[free]!.push(slot);
  }
  return assigned;
}
