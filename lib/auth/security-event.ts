/**
 * The contract of a security event: what the gateway sends tenancy's internal
 * `security-event` route to record, before it executes a request that must be audited.
 * Identifiers only: `detail` holds short scalar values (a status, a principal kind), never a
 * field value of a record, and the schema refuses anything longer or nested.
 */
import { z } from 'zod';
import { isUuid } from '../ids.js';

/** Kinds of security event. `inactive_tenant_access`: platform staff acting in a suspended or offboarded tenant. */
export const SECURITY_EVENT_KINDS = ['inactive_tenant_access'] as const;

const MAX_DETAIL_KEYS = 10;

export const securityEventSchema = z
  .object({
    kind: z.enum(SECURITY_EVENT_KINDS),
    tenantId: z.string().refine(isUuid, 'tenantId must be a UUID').transform((id) => id.toLowerCase()),
    principalId: z.string().min(1).max(200),
    roles: z.array(z.string().min(1).max(50)).max(20),
    /** The gateway's request id. */
    requestId: z.string().min(1).max(128),
    /** The client's own x-request-id, if it sent one. */
    correlationId: z.string().max(128).nullable(),
    detail: z
      .record(z.string().regex(/^[a-zA-Z][a-zA-Z0-9_]{0,39}$/), z.union([z.string().max(64), z.number(), z.boolean(), z.null()]))
      .refine((detail) => Object.keys(detail).length <= MAX_DETAIL_KEYS, `detail holds at most ${MAX_DETAIL_KEYS} keys`),
  })
  .strict();

export type SecurityEvent = z.input<typeof securityEventSchema>;
