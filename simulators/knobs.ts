/**
 * The knobs of each simulated system — added latency and the shares of requests that fail (503),
 * hang past the client's timeout, or come back malformed — and the one draw that turns them into
 * a request's fault. They start from the configuration (SIMULATORS_LATENCY_MS,
 * SIMULATORS_FAILURE_RATE), change at run time through PUT /admin/knobs and go back on
 * POST /admin/reset.
 */
import { z } from 'zod';
import { SIMULATOR_MAX_LATENCY_MS, type Config } from '../lib/config.js';
import { BadUserInputError } from '../lib/errors.js';
import { describeIssues, SYSTEMS, type SystemName } from './system.js';

export interface Knobs {
  /** Milliseconds added before every answer of the system (refusals and injected faults included). */
  latencyMs: number;
  /** Share of requests answered 503 before anything is done: nothing is received. */
  failureRate: number;
  /** Share of requests held unanswered for `hangMs` (then 504), after the work is done: a claim so held *was* received. */
  timeoutRate: number;
  /** Share of requests answered 200 with a body that is not the expected JSON, after the work is done. */
  malformedRate: number;
  /** How long a request drawn to time out is held: longer than any client timeout, so the client's fires first. */
  hangMs: number;
}

export type KnobTable = Readonly<Record<SystemName, Readonly<Knobs>>>;

/** A hang long enough for any client timeout of the platform to fire first. */
export const DEFAULT_HANG_MS = 30_000;
const MAX_HANG_MS = 300_000;

/** The knobs every system starts with, from the configuration. */
export function configuredKnobs(config: Config): KnobTable {
  const knobs: Knobs = { latencyMs: config.simulators.latencyMs, failureRate: config.simulators.failureRate, timeoutRate: 0, malformedRate: 0, hangMs: DEFAULT_HANG_MS };
  return Object.freeze(Object.fromEntries(SYSTEMS.map((system) => [system, Object.freeze({ ...knobs })])) as Record<SystemName, Knobs>);
}

const rate = z.number().min(0).max(1);
const knobsPatch = z.strictObject({
  latencyMs: z.number().int().min(0).max(SIMULATOR_MAX_LATENCY_MS).optional(),
  failureRate: rate.optional(),
  timeoutRate: rate.optional(),
  malformedRate: rate.optional(),
  hangMs: z.number().int().min(0).max(MAX_HANG_MS).optional(),
});
const tablePatch = z.partialRecord(z.enum(SYSTEMS), knobsPatch);

/**
 * The knobs after a PUT /admin/knobs body (`{ [system]: { latencyMs?, failureRate?, … } }`):
 * systems and knobs it does not name keep their values. Anything wrong — an unknown system or
 * knob, a value out of range, rates of one system adding up past 1 — is a BadUserInputError
 * naming each field, and nothing changes.
 */
export function patchKnobs(current: KnobTable, body: unknown): KnobTable {
  const parsed = tablePatch.safeParse(body);
  if (!parsed.success) throw new BadUserInputError(`Invalid knobs: ${describeIssues(parsed.error.issues)} (systems: ${SYSTEMS.join(', ')})`);
  const next = Object.fromEntries(SYSTEMS.map((system) => [system, { ...current[system], ...stripUndefined(parsed.data[system] ?? {}) }])) as Record<SystemName, Knobs>;
  // A hair of tolerance: 0.1 + 0.2 + 0.7 is 1.0000000000000002 in floating point.
  const overfull = SYSTEMS.filter((system) => next[system].failureRate + next[system].timeoutRate + next[system].malformedRate > 1 + 1e-9);
  if (overfull.length > 0) {
    throw new BadUserInputError(`Invalid knobs: ${overfull.map((system) => `${system}: failureRate + timeoutRate + malformedRate must not exceed 1`).join('; ')}`);
  }
  return Object.freeze(Object.fromEntries(SYSTEMS.map((system) => [system, Object.freeze(next[system])])) as Record<SystemName, Knobs>);
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Partial<T>;
}

/** What an injected fault does to a request; none: it is answered as the system would. */
export type Fault = 'failure' | 'timeout' | 'malformed' | undefined;

/**
 * The fault of a request from one draw in [0, 1): the rates are consecutive slices of it, so each
 * knob's share is its own whatever the others are set to (failure, then timeout, then malformed).
 */
export function faultOf(knobs: Knobs, draw: number): Fault {
  if (draw < knobs.failureRate) return 'failure';
  if (draw < knobs.failureRate + knobs.timeoutRate) return 'timeout';
  if (draw < knobs.failureRate + knobs.timeoutRate + knobs.malformedRate) return 'malformed';
  return undefined;
}
