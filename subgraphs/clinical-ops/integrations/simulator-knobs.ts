/**
 * The simulators' knobs through GraphQL, for platform admins rehearsing failures offline
 * (docs/integrations.md, *Simulators*): `simulatorKnobs` reads `GET /admin/knobs` on the
 * simulators' base URL (SIMULATORS_URL), `setSimulatorKnobs` puts one system's knobs with
 * `PUT /admin/knobs` — `{ [system]: { latencyMs?, failureRate?, timeoutRate?, malformedRate? } }`.
 * Values out of range are refused before anything is sent; every change is logged with who made
 * it (knobs are no tenant's data, and carry none).
 */
import { z } from 'zod';
import { BadUserInputError, InsufficientScopeError, ServiceUnavailableError } from '../../../lib/errors.js';
import { createKeepAliveFetcher } from '../../../lib/http/keep-alive-fetcher.js';
import { createLogger } from '../../../lib/logger.js';
import type { TenantContext } from '../../../lib/tenant-context.js';
import type { ClinicalContext } from '../context.js';
import { CONNECTOR_KINDS, type ConnectorKind } from './contract.js';
import { configuredSimulatorsUrl } from './gateway.js';
import { connectorOf } from './mapping.js';
import { knobsSchema, type Knobs } from './wire.js';

const logger = createLogger('clinical-ops');
const fetchAdmin = createKeepAliveFetcher({ timeoutMs: 3_000, maxResponseBytes: 64 * 1024 });

/** What each knob may be set to. */
export const KNOB_LIMITS = Object.freeze({ latencyMs: { min: 0, max: 60_000 }, rate: { min: 0, max: 1 } });

const allKnobsSchema = z.record(z.string(), knobsSchema);

function requirePlatformAdmin(tenant: TenantContext): void {
  if (tenant.access !== 'platform' || !tenant.roles.includes('platform_admin')) {
    throw new InsufficientScopeError('Only platform admins, at platform level, read and set the simulators’ knobs');
  }
}

interface KnobsArgs {
  system: string;
  latencyMs?: number | null;
  failureRate?: number | null;
  timeoutRate?: number | null;
  malformedRate?: number | null;
}

/** The knobs given, checked: BAD_USER_INPUT names the first out of range. */
export function parseKnobs(args: KnobsArgs): Knobs {
  const knobs: Knobs = {};
  if (args.latencyMs != null) {
    const { min, max } = KNOB_LIMITS.latencyMs;
    if (!Number.isInteger(args.latencyMs) || args.latencyMs < min || args.latencyMs > max) {
      throw new BadUserInputError(`latencyMs must be a whole number of milliseconds from ${min} to ${max}`, { argument: 'latencyMs' });
    }
    knobs.latencyMs = args.latencyMs;
  }
  for (const name of ['failureRate', 'timeoutRate', 'malformedRate'] as const) {
    const value = args[name];
    if (value == null) continue;
    if (!Number.isFinite(value) || value < KNOB_LIMITS.rate.min || value > KNOB_LIMITS.rate.max) {
      throw new BadUserInputError(`${name} must be a share of calls from 0 to 1`, { argument: name });
    }
    knobs[name] = value;
  }
  if (Object.keys(knobs).length === 0) throw new BadUserInputError('Give at least one of latencyMs, failureRate, timeoutRate, malformedRate', { argument: 'latencyMs' });
  return knobs;
}

/** Calls the simulators' admin API; SERVICE_UNAVAILABLE when they do not answer as the contract says. */
async function admin(method: 'GET' | 'PUT', body?: unknown): Promise<Record<string, Knobs>> {
  let answer: unknown;
  try {
    const response = await fetchAdmin(`${configuredSimulatorsUrl().replace(/\/+$/, '')}/admin/knobs`, {
      method,
      headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`answered HTTP ${response.status}`);
    answer = await response.json();
  } catch (error) {
    logger.warn({ err: { message: (error as Error).message } }, 'simulators admin API unavailable');
    throw new ServiceUnavailableError('The simulators did not answer; nothing was changed. Are they running (SIMULATORS_URL)?');
  }
  const parsed = allKnobsSchema.safeParse(answer);
  if (!parsed.success) throw new ServiceUnavailableError('The simulators answered knobs this platform cannot read');
  return parsed.data;
}

const toKnobs = (system: ConnectorKind, knobs: Knobs | undefined) => ({
  system: system.toUpperCase(),
  latencyMs: knobs?.latencyMs ?? null,
  failureRate: knobs?.failureRate ?? null,
  timeoutRate: knobs?.timeoutRate ?? null,
  malformedRate: knobs?.malformedRate ?? null,
});

export const simulatorKnobResolvers = {
  Query: {
    async simulatorKnobs(_: unknown, __: unknown, ctx: ClinicalContext) {
      requirePlatformAdmin(ctx.tenant);
      const all = await admin('GET');
      return CONNECTOR_KINDS.map((system) => toKnobs(system, all[system]));
    },
  },
  Mutation: {
    async setSimulatorKnobs(_: unknown, args: KnobsArgs, ctx: ClinicalContext) {
      requirePlatformAdmin(ctx.tenant);
      const system = connectorOf(args.system, 'system');
      const knobs = parseKnobs(args);
      const all = await admin('PUT', { [system]: knobs });
      logger.info({ principalId: ctx.tenant.principal.id, requestId: ctx.tenant.requestId, system, knobs }, 'simulator knobs set');
      return toKnobs(system, { ...knobs, ...all[system] });
    },
  },
};
