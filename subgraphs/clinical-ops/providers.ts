/**
 * Providers: the clinicians a tenant books appointments with, identified by their NPI. Staff,
 * not patients: nothing here is PHI. Deactivated rather than deleted (past appointments keep
 * naming them); an inactive provider takes no new bookings.
 */
import { randomUUID } from 'node:crypto';
import type { Tx } from '../../lib/db/index.js';
import { BadUserInputError, NotFoundError } from '../../lib/errors.js';
import { isUuid, requireUuid } from '../../lib/ids.js';
import type { ClinicalContext } from './context.js';
import { assertTenantLevel, pageSize, requireText, uniqueViolation } from './requests.js';

export interface ProviderRow {
  id: string;
  tenant_id: string;
  npi: string;
  name: string;
  specialty: string;
  active: boolean;
}

const PROVIDER_COLUMNS = 'id, tenant_id, npi, name, specialty, active';
const MAX_PAGE = 200;

/**
 * Whether `npi` is a National Provider Identifier: 10 digits, the last the Luhn check digit of
 * the first nine prefixed with the card issuer code 80840 (whose digits add a constant 24).
 * The same rule as the database's `npi_is_valid`.
 */
export function isValidNpi(npi: string): boolean {
  if (!/^\d{10}$/.test(npi)) return false;
  let sum = 24;
  for (let i = 0; i < 9; i++) {
    const digit = Number(npi[i]);
    // Doubling starts at the digit left of the check digit and takes every other one.
    const doubled = i % 2 === 0 ? digit * 2 : digit;
    sum += doubled > 9 ? doubled - 9 : doubled;
  }
  return (sum + Number(npi[9])) % 10 === 0;
}

export async function fetchProvidersByIds(tx: Tx, ids: readonly string[]): Promise<ProviderRow[]> {
  const valid = ids.filter(isUuid);
  if (valid.length === 0) return [];
  return tx.query<ProviderRow>(`SELECT ${PROVIDER_COLUMNS} FROM providers WHERE id = ANY($1::uuid[])`, [valid]);
}

interface CreateProviderInput {
  npi: string;
  name: string;
  specialty: string;
}

function validateProvider(input: CreateProviderInput) {
  const npi = input.npi.trim();
  if (!isValidNpi(npi)) throw new BadUserInputError('input.npi must be a 10-digit NPI with a valid check digit', { argument: 'input.npi' });
  return { npi, name: requireText(input.name, 'input.name', 1, 200), specialty: requireText(input.specialty, 'input.specialty', 1, 100) };
}

export const providerResolvers = {
  Query: {
    providers: async (_: unknown, args: { first?: number | null; includeInactive?: boolean | null }, ctx: ClinicalContext) => {
      assertTenantLevel(ctx.tenant);
      const first = pageSize(args.first, 50, MAX_PAGE);
      return ctx.db.withTenant(ctx.tenant, (tx) =>
        tx.query<ProviderRow>(`SELECT ${PROVIDER_COLUMNS} FROM providers WHERE active OR $1 ORDER BY name, id LIMIT $2`, [args.includeInactive ?? false, first]),
      );
    },
  },
  Mutation: {
    createProvider: async (_: unknown, args: { input: CreateProviderInput }, ctx: ClinicalContext) => {
      assertTenantLevel(ctx.tenant);
      const input = validateProvider(args.input);
      const tenantId = ctx.tenant.tenantId;
      return ctx.db.withTenant(ctx.tenant, async (tx) => {
        try {
          const [row] = await tx.query<ProviderRow>(
            `INSERT INTO providers (id, tenant_id, npi, name, specialty) VALUES ($1, $2, $3, $4, $5) RETURNING ${PROVIDER_COLUMNS}`,
            [randomUUID(), tenantId, input.npi, input.name, input.specialty],
          );
          return row!;
        } catch (error) {
          if (uniqueViolation(error) === 'providers_tenant_id_npi_key') {
            throw new BadUserInputError('input.npi is registered to another provider of the tenant', { argument: 'input.npi' });
          }
          throw error;
        }
      });
    },
    setProviderActive: async (_: unknown, args: { id: string; active: boolean }, ctx: ClinicalContext) => {
      assertTenantLevel(ctx.tenant);
      const id = requireUuid(args.id, 'id');
      const [row] = await ctx.db.withTenant(ctx.tenant, (tx) =>
        tx.query<ProviderRow>(`UPDATE providers SET active = $2 WHERE id = $1 RETURNING ${PROVIDER_COLUMNS}`, [id, args.active]),
      );
      if (!row) throw new NotFoundError('No such provider');
      return row;
    },
  },
};
