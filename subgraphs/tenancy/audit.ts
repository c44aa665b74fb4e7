/**
 * The control plane's audit log (migration 007): every control-plane mutation, governance
 * decision and API-key issue, rotation and revocation appends an entry in the transaction of the
 * change itself — no change without its entry, no entry without its change. Entries are
 * hash-chained per tenant, per partner and for the platform (lib/audit/chain.ts);
 * `verifyAuditChain` reports the first broken link.
 *
 * Read by platform staff with `audit:read` (row-level security narrows anyone else to their
 * own tenant's or partner's chain), newest first, filtered by tenant, actor, action and time.
 */
import { randomUUID } from 'node:crypto';
import { entryHash, GENESIS_HASH, verifyChain, type AuditFacts, type ChainedEntry, type ChainVerification } from '../../lib/audit/chain.js';
import type { Tx } from '../../lib/db/index.js';
import { BadUserInputError } from '../../lib/errors.js';
import { isUuid, requireUuid } from '../../lib/ids.js';
import type { TenantContext } from '../../lib/tenant-context.js';
import type { TenancyContext } from './context.js';

/** Whose chain an entry goes in: a tenant's, a partner's, or the platform's. */
export type AuditOwner = { tenantId: string; partnerId?: string | null } | { tenantId?: null; partnerId: string } | 'platform';

export interface AuditInput {
  owner: AuditOwner;
  /** What was done, as `<area>.<verb>`: `tenant.suspended`, `api_key.issued`. */
  action: string;
  /** What it was done to, as `kind:id`. */
  target: string;
  /** Identifiers, counts and settings: never a record's content, never PHI. */
  detail?: Record<string, unknown>;
}

interface AuditRow {
  chain: string;
  seq: string;
  id: string;
  tenant_id: string | null;
  partner_id: string | null;
  occurred_at: Date;
  actor_id: string;
  actor_kind: string;
  actor_roles: string[];
  request_id: string | null;
  action: string;
  target: string;
  detail: Record<string, unknown>;
  prev_hash: string;
  hash: string;
}

function chainOf(owner: AuditOwner): { chain: string; tenantId: string | null; partnerId: string | null } {
  if (owner === 'platform') return { chain: 'platform', tenantId: null, partnerId: null };
  if (owner.tenantId) return { chain: `tenant:${owner.tenantId}`, tenantId: owner.tenantId, partnerId: owner.partnerId ?? null };
  return { chain: `partner:${owner.partnerId}`, tenantId: null, partnerId: owner.partnerId! };
}

/**
 * Appends one entry to its chain, inside the caller's transaction. The chain's head row is
 * locked until commit, so concurrent entries of one chain take consecutive numbers.
 */
export async function appendAudit(tx: Tx, key: Buffer, context: Pick<TenantContext, 'principal' | 'roles' | 'requestId'>, input: AuditInput): Promise<void> {
  const { chain, tenantId, partnerId } = chainOf(input.owner);
  await tx.query(
    `INSERT INTO audit_chains (chain, tenant_id, partner_id, last_seq, last_hash) VALUES ($1, $2, $3, 0, $4) ON CONFLICT (chain) DO NOTHING`,
    [chain, tenantId, partnerId, GENESIS_HASH],
  );
  const [head] = await tx.query<{ last_seq: string; last_hash: string }>('SELECT last_seq, last_hash FROM audit_chains WHERE chain = $1 FOR UPDATE', [chain]);
  const facts: AuditFacts = {
    chain,
    seq: Number(head!.last_seq) + 1,
    id: randomUUID(),
    occurredAt: new Date().toISOString(),
    actor: { id: context.principal.id, kind: context.principal.kind, roles: [...context.roles] },
    requestId: context.requestId,
    action: input.action,
    target: input.target,
    detail: input.detail ?? {},
  };
  const hash = entryHash(key, head!.last_hash, facts);
  await tx.query(
    `WITH entry AS (
       INSERT INTO audit_log (chain, seq, id, tenant_id, partner_id, occurred_at, actor_id, actor_kind, actor_roles, request_id, action, target, detail, prev_hash, hash)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
     )
     UPDATE audit_chains SET last_seq = $2, last_hash = $15 WHERE chain = $1`,
    [
      chain,
      facts.seq,
      facts.id,
      tenantId,
      partnerId,
      facts.occurredAt,
      facts.actor.id,
      facts.actor.kind,
      facts.actor.roles,
      facts.requestId,
      facts.action,
      facts.target,
      facts.detail,
      head!.last_hash,
      hash,
    ],
  );
}

const toFacts = (row: AuditRow): ChainedEntry => ({
  chain: row.chain,
  seq: Number(row.seq),
  id: row.id,
  occurredAt: row.occurred_at.toISOString(),
  actor: { id: row.actor_id, kind: row.actor_kind, roles: row.actor_roles },
  requestId: row.request_id,
  action: row.action,
  target: row.target,
  detail: row.detail,
  prevHash: row.prev_hash,
  hash: row.hash,
});

/** Verifies one chain whole, in sequence order. */
export async function verifyAuditChainOf(tx: Tx, key: Buffer, owner: AuditOwner): Promise<ChainVerification> {
  const { chain } = chainOf(owner);
  const rows = await tx.query<AuditRow>('SELECT * FROM audit_log WHERE chain = $1 ORDER BY seq', [chain]);
  const [head] = await tx.query<{ last_seq: string; last_hash: string }>('SELECT last_seq, last_hash FROM audit_chains WHERE chain = $1', [chain]);
  return verifyChain(key, rows.map(toFacts), head ? { seq: Number(head.last_seq), hash: head.last_hash } : null);
}

interface AuditFilter {
  tenantId?: string | null;
  partnerId?: string | null;
  actorId?: string | null;
  action?: string | null;
  from?: string | null;
  to?: string | null;
}

const MAX_PAGE = 200;

/** A page cursor: the (occurred_at, id) of the last entry of the page before. */
function decodeCursor(after: string | null | undefined): { at: string; id: string } | null {
  if (!after) return null;
  try {
    const [at, id] = JSON.parse(Buffer.from(after, 'base64url').toString('utf8')) as [string, string];
    if (typeof at === 'string' && !Number.isNaN(Date.parse(at)) && isUuid(id)) return { at, id };
  } catch {
    // refused below
  }
  throw new BadUserInputError('after is not a cursor of this list', { argument: 'after' });
}

const encodeCursor = (row: AuditRow) => Buffer.from(JSON.stringify([row.occurred_at.toISOString(), row.id])).toString('base64url');

function timeArgument(value: string | null | undefined, argument: string): string | null {
  if (value == null) return null;
  if (Number.isNaN(Date.parse(value))) throw new BadUserInputError(`${argument} must be an ISO-8601 date-time`, { argument });
  return new Date(value).toISOString();
}

async function auditPage(tx: Tx, filter: AuditFilter, first: number, after: string | null | undefined) {
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE) throw new BadUserInputError(`first must be 1–${MAX_PAGE}`, { argument: 'first' });
  const conditions: string[] = [];
  const values: unknown[] = [];
  const add = (sql: (n: number) => string, value: unknown) => {
    values.push(value);
    conditions.push(sql(values.length));
  };
  if (filter.tenantId != null) add((n) => `tenant_id = $${n}`, requireUuid(filter.tenantId, 'filter.tenantId'));
  if (filter.partnerId != null) add((n) => `partner_id = $${n}`, requireUuid(filter.partnerId, 'filter.partnerId'));
  if (filter.actorId != null) add((n) => `actor_id = $${n}`, filter.actorId);
  if (filter.action != null) add((n) => `action = $${n}`, filter.action);
  const from = timeArgument(filter.from, 'filter.from');
  const to = timeArgument(filter.to, 'filter.to');
  if (from) add((n) => `occurred_at >= $${n}`, from);
  if (to) add((n) => `occurred_at < $${n}`, to);
  const where = conditions.length ? `WHERE ${conditions.join(' AND ')}` : '';
  const cursor = decodeCursor(after);
  const pageValues = [...values];
  let pageWhere = where;
  if (cursor) {
    pageValues.push(cursor.at, cursor.id);
    const clause = `(occurred_at, id) < ($${pageValues.length - 1}::timestamptz, $${pageValues.length}::uuid)`;
    pageWhere = where ? `${where} AND ${clause}` : `WHERE ${clause}`;
  }
  const rows = await tx.query<AuditRow>(`SELECT * FROM audit_log ${pageWhere} ORDER BY occurred_at DESC, id DESC LIMIT ${first + 1}`, pageValues);
  const [{ total } = { total: 0 }] = await tx.query<{ total: number }>(`SELECT count(*)::int AS total FROM audit_log ${where}`, values);
  const page = rows.slice(0, first);
  return {
    edges: page.map((row) => ({ cursor: encodeCursor(row), node: toEntry(row) })),
    pageInfo: { hasNextPage: rows.length > first, endCursor: page.length ? encodeCursor(page.at(-1)!) : null },
    totalCount: total,
  };
}

const toEntry = (row: AuditRow) => ({
  id: row.id,
  sequence: Number(row.seq),
  tenantId: row.tenant_id,
  partnerId: row.partner_id,
  occurredAt: row.occurred_at.toISOString(),
  actorId: row.actor_id,
  actorKind: row.actor_kind,
  actorRoles: row.actor_roles,
  requestId: row.request_id,
  action: row.action,
  target: row.target,
  detail: JSON.stringify(row.detail),
});

export const auditResolvers = {
  Query: {
    auditLog(_: unknown, args: { filter?: AuditFilter | null; first?: number | null; after?: string | null }, ctx: TenancyContext) {
      return ctx.db.withTenant(ctx.tenant, (tx) => auditPage(tx, args.filter ?? {}, args.first ?? 50, args.after));
    },
    async verifyAuditChain(_: unknown, args: { tenantId?: string | null; partnerId?: string | null }, ctx: TenancyContext) {
      if (args.tenantId != null && args.partnerId != null) {
        throw new BadUserInputError('Name one chain: tenantId, partnerId, or neither for the platform chain');
      }
      const owner: AuditOwner =
        args.tenantId != null
          ? { tenantId: requireUuid(args.tenantId, 'tenantId') }
          : args.partnerId != null
            ? { partnerId: requireUuid(args.partnerId, 'partnerId') }
            : 'platform';
      const result = await ctx.db.withTenant(ctx.tenant, (tx) => verifyAuditChainOf(tx, ctx.db.deriveKey('audit'), owner));
      return { valid: result.valid, entries: result.entries, firstBrokenSequence: result.firstBrokenSeq, problem: result.problem };
    },
  },
};
