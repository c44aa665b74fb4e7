/**
 * Locations: where a tenant sees patients (a clinic, a site, a room), each in its time zone. No
 * patient data. Deactivated rather than deleted; an inactive location takes no new bookings.
 */
import { randomUUID } from 'node:crypto';
import type { Tx } from '../../lib/db/index.js';
import { BadUserInputError, NotFoundError } from '../../lib/errors.js';
import { isUuid, requireUuid } from '../../lib/ids.js';
import type { ClinicalContext } from './context.js';
import { assertTenantLevel, pageSize, requireText, uniqueViolation } from './requests.js';

export interface LocationRow {
  id: string;
  tenant_id: string;
  name: string;
  timezone: string;
  active: boolean;
}

const LOCATION_COLUMNS = 'id, tenant_id, name, timezone, active';
const MAX_PAGE = 200;
/** The IANA zones this runtime knows (ICU's list), and UTC. */
const TIME_ZONES = new Set([...Intl.supportedValuesOf('timeZone'), 'UTC']);

/** Whether `zone` is an IANA time zone name (America/Chicago, Europe/Berlin, UTC). */
export const isTimeZone = (zone: string): boolean => TIME_ZONES.has(zone);

export async function fetchLocationsByIds(tx: Tx, ids: readonly string[]): Promise<LocationRow[]> {
  const valid = ids.filter(isUuid);
  if (valid.length === 0) return [];
  return tx.query<LocationRow>(`SELECT ${LOCATION_COLUMNS} FROM locations WHERE id = ANY($1::uuid[])`, [valid]);
}

interface CreateLocationInput {
  name: string;
  timezone: string;
}

function validateLocation(input: CreateLocationInput) {
  const timezone = input.timezone.trim();
  if (!isTimeZone(timezone)) throw new BadUserInputError('input.timezone must be an IANA time zone such as America/Chicago', { argument: 'input.timezone' });
  return { name: requireText(input.name, 'input.name', 1, 200), timezone };
}

export const locationResolvers = {
  Query: {
    locations: async (_: unknown, args: { first?: number | null; includeInactive?: boolean | null }, ctx: ClinicalContext) => {
      assertTenantLevel(ctx.tenant);
      const first = pageSize(args.first, 50, MAX_PAGE);
      return ctx.db.withTenant(ctx.tenant, (tx) =>
        tx.query<LocationRow>(`SELECT ${LOCATION_COLUMNS} FROM locations WHERE active OR $1 ORDER BY name, id LIMIT $2`, [args.includeInactive ?? false, first]),
      );
    },
  },
  Mutation: {
    createLocation: async (_: unknown, args: { input: CreateLocationInput }, ctx: ClinicalContext) => {
      assertTenantLevel(ctx.tenant);
      const input = validateLocation(args.input);
      const tenantId = ctx.tenant.tenantId;
      return ctx.db.withTenant(ctx.tenant, async (tx) => {
        try {
          const [row] = await tx.query<LocationRow>(
            `INSERT INTO locations (id, tenant_id, name, timezone) VALUES ($1, $2, $3, $4) RETURNING ${LOCATION_COLUMNS}`,
            [randomUUID(), tenantId, input.name, input.timezone],
          );
          return row!;
        } catch (error) {
          if (uniqueViolation(error) === 'locations_tenant_id_name_key') {
            throw new BadUserInputError('input.name is the name of another location of the tenant', { argument: 'input.name' });
          }
          throw error;
        }
      });
    },
    setLocationActive: async (_: unknown, args: { id: string; active: boolean }, ctx: ClinicalContext) => {
      assertTenantLevel(ctx.tenant);
      const id = requireUuid(args.id, 'id');
      const [row] = await ctx.db.withTenant(ctx.tenant, (tx) =>
        tx.query<LocationRow>(`UPDATE locations SET active = $2 WHERE id = $1 RETURNING ${LOCATION_COLUMNS}`, [id, args.active]),
      );
      if (!row) throw new NotFoundError('No such location');
      return row;
    },
  },
};
