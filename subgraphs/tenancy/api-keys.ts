/**
 * Partner API keys: issued, listed, revoked and rotated through GraphQL by platform admins or
 * the partner's own admins; looked up by hash by the gateway (internal route). A key is shown
 * once at issuance; only its SHA-256 is stored.
 *
 * A key never carries more than its issuer holds, nor more than its partner is allowed
 * (`partners.allowed_scopes`, set by the platform), and a partner holds at most
 * MAX_LIVE_KEYS_PER_PARTNER live keys. Refusals write nothing.
 */
import { randomUUID } from 'node:crypto';
import { generateApiKey, type ApiKeyLookup } from '../../lib/auth/api-keys.js';
import type { Tx } from '../../lib/db/index.js';
import { BadUserInputError, InsufficientScopeError, NotFoundError, RateLimitedError } from '../../lib/errors.js';
import { requireUuid } from '../../lib/ids.js';
import { API_KEY_SCOPES } from '../../lib/policy/spec.js';
import type { TenantContext } from '../../lib/tenant-context.js';
import { appendAudit } from './audit.js';
import type { TenancyContext } from './context.js';

export interface ApiKeyRow {
  id: string;
  partner_id: string;
  name: string;
  prefix: string;
  scopes: string[];
  safelist_only: boolean;
  expires_at: Date;
  revoked_at: Date | null;
  last_used_at: Date | null;
  created_at: Date;
}

const COLUMNS = 'id, partner_id, name, prefix, scopes, safelist_only, expires_at, revoked_at, last_used_at, created_at';

/** Live (neither revoked nor expired) keys one partner may hold at once. */
export const MAX_LIVE_KEYS_PER_PARTNER = 25;

export interface IssueInput {
  partnerId: string;
  name: string;
  scopes: string[];
  /** Trusted documents only (see migration 006); default false. */
  safelistOnly?: boolean;
  expiresInDays: number;
  createdBy: string;
  rotatedFrom?: string;
}

/** Writes a new key and returns its row and its secret (the only time the secret exists). */
export async function insertApiKey(tx: Tx, input: IssueInput): Promise<{ row: ApiKeyRow; secret: string }> {
  const key = generateApiKey();
  const [row] = await tx.query<ApiKeyRow>(
    `INSERT INTO api_keys (id, partner_id, name, prefix, secret_hash, scopes, safelist_only, expires_at, created_by, rotated_from)
     VALUES ($1, $2, $3, $4, $5, $6, $7, now() + make_interval(days => $8), $9, $10)
     RETURNING ${COLUMNS}`,
    [randomUUID(), input.partnerId, input.name, key.prefix, key.hash, input.scopes, input.safelistOnly ?? false, input.expiresInDays, input.createdBy, input.rotatedFrom ?? null],
  );
  return { row: row!, secret: key.secret };
}

/** Platform admins manage any partner's keys; partner admins only their own partner's. */
function assertMayManage(tenant: TenantContext, partnerId: string): void {
  const platformAdmin = tenant.access === 'platform' && tenant.roles.includes('platform_admin');
  const ownPartnerAdmin = tenant.roles.includes('partner_admin') && tenant.principal.partnerId === partnerId;
  if (!platformAdmin && !ownPartnerAdmin) {
    throw new InsufficientScopeError('Only platform admins or the partner’s own admins manage its API keys');
  }
}

/** A key can carry only scopes its issuer holds itself: anything else would be an escalation. */
function assertIssuerHolds(tenant: TenantContext, scopes: readonly string[]): void {
  const lacking = scopes.filter((scope) => !tenant.scopes.includes(scope));
  if (lacking.length > 0) {
    throw new InsufficientScopeError(`A key can carry only scopes its issuer holds; the caller lacks ${lacking.join(', ')}`, {
      argument: 'input.scopes',
    });
  }
}

/**
 * Serialises key issuance per partner for the rest of the transaction and answers the scopes
 * the partner's keys may carry. A transaction-scoped advisory lock rather than `FOR UPDATE`
 * on the partner row: it needs no UPDATE right on partners (the application has none on
 * allowed_scopes) and does not depend on which row policies let a caller lock the row.
 * Counting live keys after it is exact until commit, so two concurrent issues at the cap
 * cannot both pass.
 */
async function lockPartnerForIssuance(tx: Tx, partnerId: string): Promise<string[]> {
  await tx.query("SELECT pg_advisory_xact_lock(hashtextextended('caregraph:api-keys:' || $1, 0))", [partnerId]);
  const [partner] = await tx.query<{ allowed_scopes: string[] }>('SELECT allowed_scopes FROM partners WHERE id = $1', [partnerId]);
  if (!partner) throw new NotFoundError('No such partner');
  return partner.allowed_scopes;
}

function assertWithinAllowance(scopes: readonly string[], allowed: readonly string[]): void {
  const beyond = scopes.filter((scope) => !allowed.includes(scope));
  if (beyond.length > 0) {
    throw new BadUserInputError(
      `The partner's keys may carry only ${allowed.join(', ') || 'no scopes'}; ${beyond.join(', ')} ${beyond.length === 1 ? 'is' : 'are'} beyond that`,
      { argument: 'input.scopes' },
    );
  }
}

async function assertUnderKeyCap(tx: Tx, partnerId: string): Promise<void> {
  const [{ live } = { live: 0 }] = await tx.query<{ live: number }>(
    'SELECT count(*)::int AS live FROM api_keys WHERE partner_id = $1 AND revoked_at IS NULL AND expires_at > now()',
    [partnerId],
  );
  if (live >= MAX_LIVE_KEYS_PER_PARTNER) {
    throw new RateLimitedError(`The partner already holds ${MAX_LIVE_KEYS_PER_PARTNER} live API keys: revoke one before issuing another`, {
      limit: MAX_LIVE_KEYS_PER_PARTNER,
    });
  }
}

function validateIssue(args: { input: { partnerId: string; name: string; scopes: string[]; expiresInDays?: number | null; safelistOnly?: boolean | null } }) {
  const partnerId = requireUuid(args.input.partnerId, 'input.partnerId');
  const name = args.input.name.trim();
  if (name.length < 1 || name.length > 100) throw new BadUserInputError('input.name must be 1–100 characters', { argument: 'input.name' });
  const unknown = args.input.scopes.filter((scope) => !(API_KEY_SCOPES as readonly string[]).includes(scope));
  if (args.input.scopes.length === 0 || unknown.length > 0) {
    throw new BadUserInputError(`input.scopes must be a non-empty subset of ${API_KEY_SCOPES.join(', ')}`, { argument: 'input.scopes' });
  }
  const expiresInDays = args.input.expiresInDays ?? 90;
  if (!Number.isInteger(expiresInDays) || expiresInDays < 1 || expiresInDays > 365) {
    throw new BadUserInputError('input.expiresInDays must be between 1 and 365', { argument: 'input.expiresInDays' });
  }
  return { partnerId, name, scopes: [...new Set(args.input.scopes)], expiresInDays, safelistOnly: args.input.safelistOnly ?? false };
}

async function keyById(tx: Tx, id: string): Promise<ApiKeyRow> {
  const [row] = await tx.query<ApiKeyRow>(`SELECT ${COLUMNS} FROM api_keys WHERE id = $1`, [id]);
  if (!row) throw new NotFoundError('No such API key');
  return row;
}

/** The audit entry of a key change, in the partner's chain: identifiers and settings, never the secret or its hash. */
function auditKey(tx: Tx, ctx: TenancyContext, action: string, row: ApiKeyRow, extra: Record<string, unknown> = {}): Promise<void> {
  return appendAudit(tx, ctx.db.deriveKey('audit'), ctx.tenant, {
    owner: { partnerId: row.partner_id },
    action,
    target: `api_key:${row.id}`,
    detail: { prefix: row.prefix, scopes: row.scopes, safelistOnly: row.safelist_only, expiresAt: row.expires_at.toISOString(), ...extra },
  });
}

const toApiKey = (row: ApiKeyRow) => ({
  id: row.id,
  name: row.name,
  prefix: row.prefix,
  scopes: row.scopes,
  safelistOnly: row.safelist_only,
  expiresAt: row.expires_at.toISOString(),
  revokedAt: row.revoked_at?.toISOString() ?? null,
  lastUsedAt: row.last_used_at?.toISOString() ?? null,
  createdAt: row.created_at.toISOString(),
});

export const apiKeyResolvers = {
  Mutation: {
    async issueApiKey(_: unknown, args: Parameters<typeof validateIssue>[0], ctx: TenancyContext) {
      const input = validateIssue(args);
      assertMayManage(ctx.tenant, input.partnerId);
      assertIssuerHolds(ctx.tenant, input.scopes);
      const issued = await ctx.db.withTenant(ctx.tenant, async (tx) => {
        assertWithinAllowance(input.scopes, await lockPartnerForIssuance(tx, input.partnerId));
        await assertUnderKeyCap(tx, input.partnerId);
        const created = await insertApiKey(tx, { ...input, createdBy: ctx.tenant.principal.id });
        await auditKey(tx, ctx, 'api_key.issued', created.row);
        return created;
      });
      return { apiKey: toApiKey(issued.row), secret: issued.secret };
    },
    async revokeApiKey(_: unknown, args: { id: string }, ctx: TenancyContext) {
      const id = requireUuid(args.id, 'id');
      const row = await ctx.db.withTenant(ctx.tenant, async (tx) => {
        assertMayManage(ctx.tenant, (await keyById(tx, id)).partner_id);
        const [revoked] = await tx.query<ApiKeyRow>(
          `UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 RETURNING ${COLUMNS}`,
          [id],
        );
        await auditKey(tx, ctx, 'api_key.revoked', revoked!);
        return revoked!;
      });
      return toApiKey(row);
    },
    async rotateApiKey(_: unknown, args: { id: string }, ctx: TenancyContext) {
      const id = requireUuid(args.id, 'id');
      const issued = await ctx.db.withTenant(ctx.tenant, async (tx) => {
        const old = await keyById(tx, id);
        assertMayManage(ctx.tenant, old.partner_id);
        if (old.revoked_at) throw new BadUserInputError('A revoked key cannot be rotated', { argument: 'id' });
        // The replacement gets a fresh secret: the same rules as issuing it anew, except the cap
        // when the old key was live (one revoked, one issued: the count does not grow).
        assertIssuerHolds(ctx.tenant, old.scopes);
        assertWithinAllowance(old.scopes, await lockPartnerForIssuance(tx, old.partner_id));
        const lifetimeDays = Math.max(1, Math.round((old.expires_at.getTime() - old.created_at.getTime()) / 86_400_000));
        // `revoked_at IS NULL` again: a concurrent rotation of the same key waits here and then finds it revoked.
        const [revoked] = await tx.query<{ was_live: boolean }>(
          'UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING expires_at > now() AS was_live',
          [id],
        );
        if (!revoked) throw new BadUserInputError('A revoked key cannot be rotated', { argument: 'id' });
        if (!revoked.was_live) await assertUnderKeyCap(tx, old.partner_id);
        const replacement = await insertApiKey(tx, {
          partnerId: old.partner_id,
          name: old.name,
          scopes: old.scopes,
          // A rotation must not be a way out of the safelist.
          safelistOnly: old.safelist_only,
          expiresInDays: Math.min(365, lifetimeDays),
          createdBy: ctx.tenant.principal.id,
          rotatedFrom: old.id,
        });
        await auditKey(tx, ctx, 'api_key.rotated', replacement.row, { rotatedFrom: old.id });
        return replacement;
      });
      return { apiKey: toApiKey(issued.row), secret: issued.secret };
    },
  },
  Partner: {
    async apiKeys(partner: { id: string }, _: unknown, ctx: TenancyContext) {
      assertMayManage(ctx.tenant, partner.id);
      const rows = await ctx.db.withTenant(ctx.tenant, (tx) =>
        tx.query<ApiKeyRow>(`SELECT ${COLUMNS} FROM api_keys WHERE partner_id = $1 ORDER BY created_at`, [partner.id]),
      );
      return rows.map(toApiKey);
    },
  },
};

/**
 * The gateway's lookup of a presented key (by hash). Records last use, at most once a minute
 * per key so that busy keys do not turn every request into a write.
 */
export async function lookupApiKey(tx: Tx, secretHash: string): Promise<ApiKeyLookup> {
  // Scopes are narrowed to the partner's allowance as it is now, so withdrawing a scope from a
  // partner applies to its existing keys too, within the gateway's cache time.
  const [row] = await tx.query<Pick<ApiKeyRow, 'id' | 'partner_id' | 'revoked_at' | 'expires_at' | 'scopes' | 'safelist_only'> & { expired: boolean }>(
    `SELECT k.id, k.partner_id, k.revoked_at, k.expires_at, k.expires_at <= now() AS expired, k.safelist_only,
            array(SELECT s FROM unnest(k.scopes) AS s WHERE s = ANY (p.allowed_scopes)) AS scopes
       FROM api_keys k JOIN partners p ON p.id = k.partner_id
      WHERE k.secret_hash = $1`,
    [secretHash],
  );
  if (!row) return { status: 'unknown' };
  if (row.revoked_at) return { status: 'revoked' };
  if (row.expired) return { status: 'expired' };
  await tx.query(
    "UPDATE api_keys SET last_used_at = now() WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')",
    [row.id],
  );
  return {
    status: 'active',
    id: row.id,
    partnerId: row.partner_id,
    scopes: row.scopes,
    safelistOnly: row.safelist_only,
    expiresAt: row.expires_at.toISOString(),
  };
}
