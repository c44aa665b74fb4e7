/**
 * A tenant's mapping of one connector (migration 012, docs/integrations.md): what the platform's
 * defaults become for that tenant, and how a change to it is checked before anything is written.
 *
 * - Protected fields — the endpoint (`baseUrl`) and the payer id map (`payerIds`: the tenant's
 *   payer codes → payer directory ids) — change only through four-eyes governance
 *   (mapping-changes.ts): a tenant's endpoint decides where its patients' data is sent.
 * - Unprotected fields — `enabled`, `timeoutMs`, the breaker's thresholds and the field map —
 *   are applied at once (mapping-admin.ts), and audited.
 *
 * What is not set takes the connector's default (`effectiveMapping`).
 */
import { z } from 'zod';
import type { BreakerSettings } from '../../../lib/http/circuit-breaker.js';
import { BadUserInputError } from '../../../lib/errors.js';
import { CONNECTOR_KINDS, type ConnectorKind } from './contract.js';
import { payerIdSchema } from './wire.js';

/** The time each connector gives one call when the tenant set none (ms). */
export const DEFAULT_TIMEOUT_MS: Readonly<Record<ConnectorKind, number>> = Object.freeze({
  payer_eligibility: 5_000,
  payer_claims: 10_000,
  ehr: 5_000,
  pharmacy: 3_000,
  messaging: 3_000,
});

/**
 * The breaker of a connector × tenant when the tenant set none: 5 failures within 30 s, or half
 * the calls once 10 fell in the window, open it for 5 s.
 */
export const DEFAULT_BREAKER: Readonly<Required<BreakerSettings>> = Object.freeze({
  failureThreshold: 5,
  windowMs: 30_000,
  coolDownMs: 5_000,
  failureRatio: 0.5,
  minimumCalls: 10,
});

/** What a tenant may set each number to. */
export const LIMITS = Object.freeze({
  timeoutMs: { min: 100, max: 60_000 },
  failureThreshold: { min: 1, max: 1_000 },
  windowMs: { min: 1_000, max: 600_000 },
  coolDownMs: { min: 100, max: 600_000 },
});

const whole = (name: keyof typeof LIMITS) =>
  z
    .number({ error: `must be a whole number from ${LIMITS[name].min} to ${LIMITS[name].max}` })
    .int({ error: `must be a whole number from ${LIMITS[name].min} to ${LIMITS[name].max}` })
    .min(LIMITS[name].min, { error: `must be a whole number from ${LIMITS[name].min} to ${LIMITS[name].max}` })
    .max(LIMITS[name].max, { error: `must be a whole number from ${LIMITS[name].min} to ${LIMITS[name].max}` });

/** Which of the provider's identifiers the payer connectors send as the provider id. */
export const PROVIDER_IDENTIFIERS = ['npi', 'tax_id'] as const;
export type ProviderIdentifier = (typeof PROVIDER_IDENTIFIERS)[number];

const providerId = z.enum(PROVIDER_IDENTIFIERS, { error: 'must be npi or tax_id' });
const templateName = z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, 'must be a template name (a-z, 0-9, _; up to 40)');
const providerTemplate = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be the provider’s template id (letters, digits, _ . -; up to 64)');

/**
 * The field map each connector takes; a key another connector takes is refused, so a typo never
 * sits unnoticed in a mapping that ignores it.
 */
export const FIELD_MAP_SCHEMAS = Object.freeze({
  payer_eligibility: z
    .object({
      providerId: providerId.optional(),
      /** EQ01 codes asked about (default `30`, health benefit plan coverage). */
      serviceTypeCodes: z.array(z.string().regex(/^[0-9A-Z]{1,2}$/, 'must be X12 service type codes (1–2 letters or digits)')).min(1).max(10).optional(),
    })
    .strict(),
  payer_claims: z
    .object({
      providerId: providerId.optional(),
      /** The place-of-service code a claim carries when its payload names none (default `11`, office). */
      placeOfService: z.string().regex(/^\d{2}$/, 'must be a two-digit place-of-service code').optional(),
    })
    .strict(),
  ehr: z.object({}).strict(),
  pharmacy: z.object({}).strict(),
  messaging: z
    .object({
      /** The workflows' template names → the messaging provider's template ids. */
      templates: z.record(templateName, providerTemplate).refine((map) => Object.keys(map).length <= 50, 'must map at most 50 templates').optional(),
    })
    .strict(),
} satisfies Record<ConnectorKind, z.ZodObject>);

export type FieldMap = {
  providerId?: ProviderIdentifier;
  serviceTypeCodes?: string[];
  placeOfService?: string;
  templates?: Record<string, string>;
};

/** The field map with each connector's defaults filled in. */
export interface EffectiveFieldMap {
  providerId: ProviderIdentifier;
  serviceTypeCodes: readonly string[];
  placeOfService: string;
  templates: Readonly<Record<string, string>>;
}

const FIELD_MAP_DEFAULTS: EffectiveFieldMap = Object.freeze({ providerId: 'npi', serviceTypeCodes: Object.freeze(['30']), placeOfService: '11', templates: Object.freeze({}) });

/** An endpoint a tenant may point a connector at: http(s), no credentials, no query or fragment. */
export const baseUrlSchema = z
  .string()
  .trim()
  .max(500, 'must be at most 500 characters')
  .pipe(z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }))
  .refine((value) => {
    const url = new URL(value);
    return !url.username && !url.password && !url.search && !url.hash;
  }, 'must carry no credentials, query or fragment (credentials belong in the platform’s secrets, not in a mapping)')
  .transform((value) => value.replace(/\/+$/, ''));

/** The tenant's payer codes → payer directory ids. */
export const payerIdsSchema = z
  .record(z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, 'keys must be payer codes (letters, digits, _ or -, up to 40)'), payerIdSchema)
  .refine((map) => Object.keys(map).length <= 200, 'must map at most 200 payer codes');

/** A mapping as stored (migration 012): what the tenant set; null is the default. */
export interface MappingRow {
  tenant_id: string;
  connector: ConnectorKind;
  enabled: boolean;
  base_url: string | null;
  payer_ids: Record<string, string>;
  field_map: FieldMap;
  timeout_ms: number | null;
  breaker_failure_threshold: number | null;
  breaker_window_ms: number | null;
  breaker_cool_down_ms: number | null;
  revision: number;
  updated_by: string;
  updated_at: Date;
}

/** The row of a connector the tenant has set nothing for: every field the default. */
export function defaultRow(tenantId: string, connector: ConnectorKind, updatedBy: string): Omit<MappingRow, 'revision' | 'updated_at'> {
  return {
    tenant_id: tenantId,
    connector,
    enabled: true,
    base_url: null,
    payer_ids: {},
    field_map: {},
    timeout_ms: null,
    breaker_failure_threshold: null,
    breaker_window_ms: null,
    breaker_cool_down_ms: null,
    updated_by: updatedBy,
  };
}

export const MAPPING_COLUMNS = `tenant_id, connector, enabled, base_url, payer_ids, field_map, timeout_ms, breaker_failure_threshold, breaker_window_ms,
  breaker_cool_down_ms, revision, updated_by, updated_at`;

/** What a connector works with: the tenant's mapping with every default filled in. */
export interface EffectiveMapping {
  tenantId: string;
  connector: ConnectorKind;
  enabled: boolean;
  /** The tenant's endpoint, or null for the platform's (the simulators' base URL by default). */
  baseUrl: string | null;
  payerIds: Readonly<Record<string, string>>;
  fieldMap: EffectiveFieldMap;
  timeoutMs: number;
  breaker: BreakerSettings;
  /** 0 while the tenant has set nothing. */
  revision: number;
  updatedAt: Date | null;
  updatedBy: string | null;
}

/** The mapping a connector uses for `tenantId`: its row over the connector's defaults. */
export function effectiveMapping(tenantId: string, connector: ConnectorKind, row: MappingRow | undefined): EffectiveMapping {
  return {
    tenantId,
    connector,
    enabled: row?.enabled ?? true,
    baseUrl: row?.base_url ?? null,
    payerIds: row?.payer_ids ?? {},
    fieldMap: { ...FIELD_MAP_DEFAULTS, ...row?.field_map },
    timeoutMs: row?.timeout_ms ?? DEFAULT_TIMEOUT_MS[connector],
    breaker: {
      ...DEFAULT_BREAKER,
      failureThreshold: row?.breaker_failure_threshold ?? DEFAULT_BREAKER.failureThreshold,
      windowMs: row?.breaker_window_ms ?? DEFAULT_BREAKER.windowMs,
      coolDownMs: row?.breaker_cool_down_ms ?? DEFAULT_BREAKER.coolDownMs,
    },
    revision: row?.revision ?? 0,
    updatedAt: row?.updated_at ?? null,
    updatedBy: row?.updated_by ?? null,
  };
}

/** The GraphQL enum value of a connector (`PAYER_CLAIMS`) as the code spells it, or BAD_USER_INPUT. */
export function connectorOf(value: unknown, argument: string): ConnectorKind {
  const connector = typeof value === 'string' ? value.toLowerCase() : '';
  if (!(CONNECTOR_KINDS as readonly string[]).includes(connector)) {
    throw new BadUserInputError(`${argument} must be one of ${CONNECTOR_KINDS.join(', ')}`, { argument });
  }
  return connector as ConnectorKind;
}

/** Parses `value` with `schema`; the first problem becomes BAD_USER_INPUT naming the field (`input.timeoutMs`). */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, prefix: string): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const path = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
  const message =
    issue.code === 'unrecognized_keys'
      ? `is not a field of this connector's mapping (${issue.keys.join(', ')})`
      : issue.code === 'invalid_key'
        ? (issue.issues[0]?.message ?? issue.message)
        : issue.message;
  throw new BadUserInputError(`${path} ${message}`, { argument: path });
}

/** The unprotected change setIntegrationMapping takes: each field omitted is unchanged, null resets it to the default. */
export interface UnprotectedChange {
  enabled?: boolean;
  timeoutMs?: number | null;
  breakerFailureThreshold?: number | null;
  breakerWindowMs?: number | null;
  breakerCoolDownMs?: number | null;
  /** The whole field map (what it leaves out takes the defaults); null: all defaults. */
  fieldMap?: FieldMap | null;
}

const nullable = <T extends z.ZodType>(schema: T) => schema.nullable().optional();

/** The unprotected fields for `connector`, checked; BAD_USER_INPUT names the first bad one. */
export function parseUnprotectedChange(connector: ConnectorKind, input: Record<string, unknown>, prefix = 'input'): UnprotectedChange {
  const schema = z
    .object({
      enabled: z.boolean({ error: 'must be true or false' }).optional(),
      timeoutMs: nullable(whole('timeoutMs')),
      breakerFailureThreshold: nullable(whole('failureThreshold')),
      breakerWindowMs: nullable(whole('windowMs')),
      breakerCoolDownMs: nullable(whole('coolDownMs')),
      fieldMap: nullable(FIELD_MAP_SCHEMAS[connector]),
    })
    .strip();
  const change: UnprotectedChange = parseInput(schema, input, prefix);
  if (Object.values(change).every((value) => value === undefined)) {
    throw new BadUserInputError(`${prefix} changes nothing: give at least one of enabled, timeoutMs, breakerFailureThreshold, breakerWindowMs, breakerCoolDownMs, fieldMap`, {
      argument: prefix,
    });
  }
  return change;
}

/** A protected change: the endpoint (null: back to the default) and/or the whole payer id map. */
export interface ProtectedChange {
  baseUrl?: string | null;
  payerIds?: Record<string, string>;
}

/** The connectors that speak to payers, the only ones with payer ids to map. */
export const PAYER_CONNECTORS: readonly ConnectorKind[] = ['payer_eligibility', 'payer_claims'];

/** The protected fields for `connector`, checked; BAD_USER_INPUT names the first bad one. */
export function parseProtectedChange(connector: ConnectorKind, input: { baseUrl?: unknown; payerIds?: unknown }, prefix = 'input'): ProtectedChange {
  const change: ProtectedChange = {};
  if (input.baseUrl !== undefined) change.baseUrl = input.baseUrl === null ? null : parseInput(baseUrlSchema, input.baseUrl, `${prefix}.baseUrl`);
  if (input.payerIds !== undefined && input.payerIds !== null) {
    if (!PAYER_CONNECTORS.includes(connector)) {
      throw new BadUserInputError(`${prefix}.payerIds applies to the payer connectors only (${PAYER_CONNECTORS.join(', ')})`, { argument: `${prefix}.payerIds` });
    }
    change.payerIds = parseInput(payerIdsSchema, input.payerIds, `${prefix}.payerIds`);
  }
  if (change.baseUrl === undefined && change.payerIds === undefined) {
    throw new BadUserInputError(`${prefix} asks for no change: give baseUrl and/or payerIds`, { argument: prefix });
  }
  return change;
}

/** The names of the fields a change touches, as events and the audit name them. */
export function changedFields(change: UnprotectedChange | ProtectedChange): string[] {
  return Object.entries(change)
    .filter(([, value]) => value !== undefined)
    .map(([name]) => name)
    .sort();
}
