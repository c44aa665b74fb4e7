/**
 * Partner API keys: issued, listed, revoked and rotated through GraphQL by platform admins or
 * the partner's own admins; looked up by hash by the gateway (internal route). A key is shown
 * once at issuance; only its SHA-256 is stored.
 */
import { randomUUID } from 'node:crypto';
import { generateApiKey, type ApiKeyLookup } from '../../lib/auth/api-keys.js';
import type { Tx } from '../../lib/db/index.js';
import { BadUserInputError, InsufficientScopeError, NotFoundError } from '../../lib/errors.js';
import { requireUuid } from '../../lib/ids.js';
import { API_KEY_SCOPES } from '../../lib/policy/spec.js';
import type { TenantContext } from '../../lib/tenant-context.js';
import type { TenancyContext } from './context.js';

export interface ApiKeyRow {
  id: string;
  partner_id: string;
  name: string;
  prefix: string;
  scopes: string[];
  expires_at: Date;
  revoked_at: Date | null;
  last_used_at: Date | null;
  created_at: Date;
}

const COLUMNS = 'id, partner_id, name, prefix, scopes, expires_at, revoked_at, last_used_at, created_at';

export interface IssueInput {
  partnerId: string;
  name: string;
  scopes: string[];
  expiresInDays: number;
  createdBy: string;
  rotatedFrom?: string;
}

/** Writes a new key and returns its row and its secret (the only time the secret exists). */
export async function insertApiKey(tx: Tx, input: IssueInput): Promise<{ row: ApiKeyRow; secret: string }> {
  const key = generateApiKey();
  const [row] = await tx.query<ApiKeyRow>(
    `INSERT INTO api_keys (id, partner_id, name, prefix, secret_hash, scopes, expires_at, created_by, rotated_from)
     VALUES ($1, $2, $3, $4, $5, $6, now() + make_interval(days => $7), $8, $9)
     RETURNING ${COLUMNS}`,
    [randomUUID(), input.partnerId, input.name, key.prefix, key.hash, input.scopes, input.expiresInDays, input.createdBy, input.rotatedFrom ?? null],
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

function validateIssue(args: { input: { partnerId: string; name: string; scopes: string[]; expiresInDays?: number | null } }) {
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
  return { partnerId, name, scopes: [...new Set(args.input.scopes)], expiresInDays };
}

async function keyById(tx: Tx, id: string): Promise<ApiKeyRow> {
  const [row] = await tx.query<ApiKeyRow>(`SELECT ${COLUMNS} FROM api_keys WHERE id = $1`, [id]);
  if (!row) throw new NotFoundError('No such API key');
  return row;
}

const toApiKey = (row: ApiKeyRow) => ({
  id: row.id,
  name: row.name,
  prefix: row.prefix,
  scopes: row.scopes,
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
      const issued = await ctx.db.withTenant(ctx.tenant, async (tx) => {
        const [partner] = await tx.query('SELECT id FROM partners WHERE id = $1', [input.partnerId]);
        if (!partner) throw new NotFoundError('No such partner');
        return insertApiKey(tx, { ...input, createdBy: ctx.tenant.principal.id });
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
        const lifetimeDays = Math.max(1, Math.round((old.expires_at.getTime() - old.created_at.getTime()) / 86_400_000));
        await tx.query('UPDATE api_keys SET revoked_at = now() WHERE id = $1', [id]);
        return insertApiKey(tx, {
          partnerId: old.partner_id,
          name: old.name,
          scopes: old.scopes,
          expiresInDays: Math.min(365, lifetimeDays),
          createdBy: ctx.tenant.principal.id,
          rotatedFrom: old.id,
        });
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
  const [row] = await tx.query<ApiKeyRow & { expired: boolean }>(
    `SELECT ${COLUMNS}, expires_at <= now() AS expired FROM api_keys WHERE secret_hash = $1`,
    [secretHash],
  );
  if (!row) return { status: 'unknown' };
  if (row.revoked_at) return { status: 'revoked' };
  if (row.expired) return { status: 'expired' };
  await tx.query(
    "UPDATE api_keys SET last_used_at = now() WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')",
    [row.id],
  );
  return { status: 'active', id: row.id, partnerId: row.partner_id, scopes: row.scopes, expiresAt: row.expires_at.toISOString() };
}
