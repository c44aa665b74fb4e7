/**
 * Signed jobs: the only jobs a worker runs. pg-boss's tables carry no row-level security, so the
 * application role could write a job row by hand — with any tenant context in it. Every job
 * therefore carries its claims (an idempotency id, where it may run, the tenant context, the
 * data) with an HMAC-SHA256 made with a key derived from the database binding key: the services
 * hold it, the database roles do not (see lib/db/binding.ts). A row written in SQL without the
 * key fails verification and is refused.
 *
 * The MAC covers a canonical JSON (keys sorted at every level) because jsonb does not keep the
 * key order it was given. The claims' `id` is fixed when the job is made and survives retries,
 * dead-lettering and redrive: handlers key their effects by it, so a replayed copy of a genuine
 * job (the one thing a holder of SQL access can still do) changes nothing.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { isUuid } from '../ids.js';
import type { TenantContext } from '../tenant-context.js';

/** Label of the job key: HMAC(binding key, label), so the key is never the binding key itself. */
const JOB_KEY_LABEL = 'caregraph:jobs';

/** Where a job may run: a queue by name, or any queue subscribed to an event type. */
export type JobRoute = `queue:${string}` | `event:${string}`;

export interface JobClaims {
  v: 1;
  /** Stable across retries and redelivery; the key handlers make their effects idempotent by. */
  id: string;
  route: JobRoute;
  /** The context the handler runs in; null for events (consumers act as their own service). */
  context: TenantContext | null;
  data: unknown;
  /** Epoch seconds, for the operator reading a job; not an expiry (jobs may wait for days). */
  issuedAt: number;
}

/** A job's pg-boss data: its claims and their MAC (hex). */
export interface SignedJob extends JobClaims {
  sig: string;
}

export type Verification = { ok: true; claims: JobClaims } | { ok: false; reason: string };

/** The job key derived from the database binding key. */
export function jobSigningKey(bindingKey: string): Buffer {
  return createHmac('sha256', bindingKey).update(JOB_KEY_LABEL).digest();
}

/**
 * Signs `claims`. The data is passed through JSON first, so what is signed is exactly what
 * pg-boss stores (a Date becomes its ISO string, undefined members disappear).
 */
export function signJob(key: Buffer, claims: Pick<JobClaims, 'id' | 'route' | 'context' | 'data'>): SignedJob {
  const unsigned: JobClaims = {
    v: 1,
    id: claims.id,
    route: claims.route,
    context: claims.context === null ? null : (JSON.parse(JSON.stringify(claims.context)) as TenantContext),
    data: claims.data === undefined ? null : (JSON.parse(JSON.stringify(claims.data)) as unknown),
    issuedAt: Math.floor(Date.now() / 1000),
  };
  return { ...unsigned, sig: mac(key, unsigned) };
}

/** Checks a job's data as read from the queue: shape first, then the MAC in constant time. */
export function verifyJob(key: Buffer, raw: unknown): Verification {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return { ok: false, reason: 'not a signed job' };
  const { sig, ...rest } = raw as Record<string, unknown>;
  if (typeof sig !== 'string' || !/^[0-9a-f]{64}$/.test(sig)) return { ok: false, reason: 'no signature' };
  const keys = Object.keys(rest).sort().join(',');
  if (keys !== 'context,data,id,issuedAt,route,v') return { ok: false, reason: 'unexpected fields' };
  const expected = Buffer.from(mac(key, rest), 'hex');
  if (!timingSafeEqual(expected, Buffer.from(sig, 'hex'))) return { ok: false, reason: 'signature does not match' };
  // Authentic from here on: these checks guard against our own bugs, not against forgery.
  const claims = rest as unknown as JobClaims;
  if (claims.v !== 1 || !isUuid(claims.id) || !/^(queue|event):./.test(String(claims.route))) {
    return { ok: false, reason: 'malformed claims' };
  }
  if (claims.context !== null && !isUsableContext(claims.context)) return { ok: false, reason: 'malformed context' };
  return { ok: true, claims };
}

function isUsableContext(context: TenantContext): boolean {
  if (typeof context !== 'object' || typeof context.principal?.id !== 'string') return false;
  if (context.access === 'tenant') return isUuid(context.tenantId);
  if (context.access === 'partner') return isUuid(context.principal.partnerId);
  return context.access === 'platform';
}

function mac(key: Buffer, claims: object): string {
  return createHmac('sha256', key).update(canonicalJson(claims)).digest('hex');
}

/** JSON with object keys sorted at every level; members that are undefined are left out, as JSON.stringify does. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((item) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
  const record = value as Record<string, unknown>;
  const members = Object.keys(record)
    .filter((name) => record[name] !== undefined)
    .sort()
    .map((name) => `${JSON.stringify(name)}:${canonicalJson(record[name])}`);
  return `{${members.join(',')}}`;
}
