/**
 * The integration gateway of one process: the five connectors over one transport, sharing the
 * tenants' cached mappings, one circuit breaker per connector × tenant and one outcome recorder
 * (docs/integrations.md). Breakers only protect when every call of a process goes through the
 * same ones, so a process has one gateway per database pool: the workflows' job handlers take it
 * with `integrationGatewayFor(job.db)`.
 *
 *   const { payerClaims } = integrationGatewayFor(job.db);
 *   const outcome = await payerClaims.call({ tenantId, idempotencyKey: `claim:${claimId}:submit`, payload, signal: job.signal });
 */
import type { Config } from '../../../lib/config.js';
import type { Database } from '../../../lib/db/index.js';
import { CircuitBreakerRegistry } from '../../../lib/http/circuit-breaker.js';
import { createLogger, type Logger } from '../../../lib/logger.js';
import { createEhrConnector, type EhrConnector } from './ehr.js';
import { MappingStore, type MappingSource } from './mapping-store.js';
import { createMessagingConnector, type MessagingConnector } from './messaging.js';
import { createPayerClaimsConnector, type PayerClaimsConnector } from './payer-claims.js';
import { createPayerEligibilityConnector, type PayerEligibilityConnector } from './payer-eligibility.js';
import { createPharmacyConnector, type PharmacyConnector } from './pharmacy.js';
import { OutcomeRecorder } from './telemetry.js';
import { Transport } from './transport.js';

export interface IntegrationGatewayOptions {
  /** Clinical-ops' pool (placement-routed): the tenants' mappings are read, and their outcome events written, through it. */
  db: Database;
  /** The platform's endpoint for tenants whose mapping names none (SIMULATORS_URL). */
  baseUrl: string;
  /** Where the mappings come from (default: the database, cached per tenant). */
  mappings?: MappingSource;
  /** How often outcome counts are published (default 10 s); `false`: not counted at all. */
  flushIntervalMs?: number | false;
  /** Breakers kept at most (connector × tenant pairs, default 10,000). */
  maxBreakers?: number;
  logger?: Logger;
}

export interface IntegrationGateway {
  payerEligibility: PayerEligibilityConnector;
  payerClaims: PayerClaimsConnector;
  ehr: EhrConnector;
  pharmacy: PharmacyConnector;
  messaging: MessagingConnector;
  /** The circuit breakers, keyed `connector:tenantId` (for status pages and tests). */
  breakers: CircuitBreakerRegistry;
  /** The mappings the connectors read. */
  mappings: MappingSource;
  /** Publishes the outcome counts now. */
  flush(): Promise<void>;
  /** Publishes what is counted and stops counting. */
  close(): Promise<void>;
}

/** A gateway of its own (tests, or a process that wants two); workflows take `integrationGatewayFor`. */
export function createIntegrationGateway(options: IntegrationGatewayOptions): IntegrationGateway {
  const logger = options.logger ?? createLogger('clinical-ops-integrations');
  const mappings = options.mappings ?? new MappingStore(options.db);
  const breakers = new CircuitBreakerRegistry({
    maxKeys: options.maxBreakers,
    onStateChange: (key, { from, to }) => {
      // The key names the connector and the tenant, identifiers only.
      const [connector, tenantId] = key.split(':');
      logger[to === 'open' ? 'warn' : 'info']({ connector, tenantId, from, to }, `integration circuit ${to}`);
    },
  });
  const recorder = options.flushIntervalMs === false ? undefined : new OutcomeRecorder({ db: options.db, flushIntervalMs: options.flushIntervalMs, logger }).start();
  const transport = new Transport({ mappings, breakers, baseUrl: options.baseUrl, outcomes: recorder, logger });
  return {
    payerEligibility: createPayerEligibilityConnector(transport),
    payerClaims: createPayerClaimsConnector(transport),
    ehr: createEhrConnector(transport),
    pharmacy: createPharmacyConnector(transport),
    messaging: createMessagingConnector(transport),
    breakers,
    mappings,
    flush: async () => recorder?.flush(),
    close: async () => recorder?.close(),
  };
}

/** What the process's services configured at start (`configureIntegrations`). */
let configured: { baseUrl: string; logger: Logger } | undefined;
const gateways = new Map<Database, IntegrationGateway>();

/**
 * Records the configuration the process's gateways use: clinical-ops' subgraph and worker call
 * it at start, with the configuration they were started with.
 */
export function configureIntegrations(config: Pick<Config, 'simulators' | 'logLevel'>): void {
  configured = { baseUrl: config.simulators.url, logger: createLogger('clinical-ops-integrations', config.logLevel) };
}

/** The process's gateway over `db` (made on first use, then the same one). */
export function integrationGatewayFor(db: Database): IntegrationGateway {
  let gateway = gateways.get(db);
  if (!gateway) {
    if (!configured) throw new Error('integrationGatewayFor: configureIntegrations(config) was not called at start');
    gateway = createIntegrationGateway({ db, baseUrl: configured.baseUrl, logger: configured.logger });
    gateways.set(db, gateway);
  }
  return gateway;
}

/** The simulators' base URL the process was configured with (the knobs' admin API is there). */
export function configuredSimulatorsUrl(): string {
  if (!configured) throw new Error('configureIntegrations(config) was not called at start');
  return configured.baseUrl;
}

/** After a change in this process: the process's gateway over `db` reads the tenant's mappings again at its next call. */
export function forgetMappings(db: Database, tenantId: string): void {
  const mappings = gateways.get(db)?.mappings;
  if (mappings instanceof MappingStore) mappings.forget(tenantId);
}

/** Publishes and stops every gateway of the process (before its pools close). */
export async function closeIntegrationGateways(): Promise<void> {
  const all = [...gateways.values()];
  gateways.clear();
  await Promise.all(all.map((gateway) => gateway.close()));
}
