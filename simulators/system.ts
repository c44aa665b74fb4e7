/**
 * What one simulated system declares: its routes, how each validates a request, whom a request
 * is about (what its outcome and its injected faults are drawn from) and how it answers. The
 * router (index.ts) owns everything common — bodies, Idempotency-Key, knobs, faults, stats — so a
 * system file holds its wire shapes and business rules and nothing else.
 */
import { z } from 'zod';
import { BadUserInputError } from '../lib/errors.js';
import { CONNECTOR_KINDS, type ConnectorKind } from '../subgraphs/clinical-ops/integrations/contract.js';

/**
 * The simulated systems: one per connector kind of the integration gateway, named alike, so the
 * knobs and stats of a system carry the name its connector has.
 */
export const SYSTEMS = CONNECTOR_KINDS;
export type SystemName = ConnectorKind;

/** An answer as it goes on the wire. */
export interface Answer {
  status: number;
  body: unknown;
  /** Extra headers (a FHIR content type, a Location). */
  headers?: Readonly<Record<string, string>>;
}

/** What was received under an Idempotency-Key: the request, and the answer every later request with that key gets. */
export interface Receipt {
  request: unknown;
  answer: Answer;
  /** ISO time of the first receipt. */
  receivedAt: string;
}

/** What the router gives a system while it answers one request. */
export interface SystemContext {
  seed: number;
  /** The clock (a property, not a method: systems take it out of the context). */
  now: () => number;
  /** The system's own memory (a created FHIR resource, when a prescription was first seen); bounded, cleared by /admin/reset. */
  records: { get(id: string): unknown; set(id: string, value: unknown): void };
  /** The receipt under `key` in `scope` of this system, if any; reading it counts nothing. */
  receipt(scope: string, key: string): Receipt | undefined;
}

/** A request the system accepted: whom it is about, and how to answer it. */
interface AcceptedBase {
  /** Answers; may throw a registered error (NotFoundError → 404) for a refusal found only now. */
  answer(context: SystemContext): Answer;
}

/** A read or a check: faults and attempts are drawn per `identity` (a member id, a resource id; never logged). */
export interface PlainRoute {
  method: 'GET' | 'POST';
  /** The path template (`/payers/:payerId/eligibility`), also the route's name in logs. */
  path: string;
  idempotent?: false;
  accept(request: { params: Readonly<Record<string, string>>; body: unknown }): AcceptedBase & { identity: string };
}

/**
 * A create that carries an Idempotency-Key: the first answer under a key in its `scope` (a
 * payer's claims, one FHIR type) is the answer to every later request with that key, and only
 * the first counts as received. Faults and attempts are drawn per scope and key.
 */
export interface IdempotentRoute {
  method: 'POST';
  path: string;
  idempotent: true;
  accept(request: { params: Readonly<Record<string, string>>; body: unknown; key: string }): AcceptedBase & { scope: string };
}

export type Route = PlainRoute | IdempotentRoute;

export interface SimulatedSystem {
  name: SystemName;
  routes: readonly Route[];
}

/** Payer ids are the clinical-ops payer directory's business: any id of this shape is a payer here. */
export const PAYER_ID = /^[a-z0-9][a-z0-9-]{1,40}$/;
/** A member id as payers issue them (letters, digits, hyphens); PHI, never logged. */
export const MEMBER_ID = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,39}$/, 'must be 1–40 letters, digits or hyphens');
/** An `Idempotency-Key`: 1–200 visible ASCII characters (a UUID, `claim:<id>:submit`). */
export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

/**
 * `input` parsed with `schema`, or a BadUserInputError (400) whose message names every field at
 * fault (`serviceLines.0.chargeMinor: …`) and never echoes a value: values may be PHI.
 */
export function parseWith<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new BadUserInputError(`${what}: ${describeIssues(parsed.error.issues)}`);
}

/** Issues as `field: problem; field: problem`, unknown keys named one by one. */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .flatMap((issue) => {
      const at = (path: readonly PropertyKey[]) => path.map(String).join('.') || '(body)';
      if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => `${at([...issue.path, key])}: not expected here`);
      // zod's own wording, which states the expectation and at most the type received, not the value.
      return [`${at(issue.path)}: ${issue.message}`];
    })
    .join('; ');
}

/** A path parameter checked against its pattern (400 naming it otherwise). */
export function pathParam(params: Readonly<Record<string, string>>, name: string, pattern: RegExp, shape: string): string {
  const value = params[name] ?? '';
  if (!pattern.test(value)) throw new BadUserInputError(`${name} must be ${shape}`);
  return value;
}
