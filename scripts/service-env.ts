/**
 * The environment `npm start` gives each service process: the parent's, less every database
 * credential, plus only what that process needs. A subgraph, and any worker, gets the
 * application role's URL; the gateway only the gateway role's, which reaches its rate-limit
 * counters and no tenant's rows. (A process's
 * environment is readable in /proc/<pid>/environ by its user, and is inherited by anything it
 * spawns.)
 */
import { createPublicKey } from 'node:crypto';
import type { Config } from '../lib/config.js';
import type { ServiceProcess } from '../lib/services.js';

/** Variables that carry database credentials; none is passed on as the parent had it. */
const DATABASE_CREDENTIALS = ['DATABASE_URL', 'DATABASE_APP_URL', 'DATABASE_APP_PASSWORD', 'DATABASE_GATEWAY_URL', 'DATABASE_GATEWAY_PASSWORD'] as const;

/** Processes on the database need the binding key (when set in the environment); the gateway never touches it. */
const DATABASE_ONLY = ['DATABASE_BINDING_KEY'] as const;
/** Only the gateway signs tenant contexts: a subgraph or worker holding the private key could forge them. */
const GATEWAY_ONLY = ['CONTEXT_SIGNING_KEY'] as const;

export interface ServiceEnvOptions {
  /**
   * The application role's connection string the subgraphs and workers use; absent when the
   * database is not up yet, which only the gateway may be started without.
   */
  appUrl?: string;
  /** The gateway role's connection string (the shared rate-limit counters); none: the gateway counts in its memory. */
  gatewayUrl?: string;
  /** Data folder shared by every service (generated keys). */
  dataDir: string;
  logLevel: string;
  /**
   * The public key subgraphs verify contexts with, when the gateway's signing key is
   * configured (not generated): they get this instead of the private key.
   */
  contextVerifyKey?: string;
}

/**
 * Whether a process of the registry needs the database to start: all but the gateway
 * (`npm start` runs it while PostgreSQL starts; its rate-limit counters are reached on the
 * first request, by then the database is up) and the simulators (they keep their state in
 * memory, as stand-ins for systems outside the platform).
 */
export const needsDatabase = (target: Pick<ServiceProcess, 'kind'>): boolean => target.kind !== 'gateway' && target.kind !== 'simulator';

/**
 * The environment of one process of the registry (`serviceProcesses()`: a service, or the
 * worker a service owns), derived from `parent` (normally process.env). What it gets depends
 * on its kind only: the gateway the gateway role, the simulators no secret of the platform,
 * every other process the application role.
 */
export function serviceEnv(target: Pick<ServiceProcess, 'kind'>, parent: NodeJS.ProcessEnv, options: ServiceEnvOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...parent, CAREGRAPH_DATA_DIR: options.dataDir, LOG_LEVEL: options.logLevel };
  for (const name of DATABASE_CREDENTIALS) delete env[name];
  if (target.kind === 'simulator') {
    // They play systems outside the platform: nothing that reaches its data or signs its contexts.
    for (const name of [...DATABASE_ONLY, ...GATEWAY_ONLY]) delete env[name];
  } else if (!needsDatabase(target)) {
    for (const name of DATABASE_ONLY) delete env[name];
    if (options.gatewayUrl) env.DATABASE_GATEWAY_URL = options.gatewayUrl;
  } else {
    if (!options.appUrl) throw new Error('a process on the database needs the application role URL');
    env.DATABASE_APP_URL = options.appUrl;
    for (const name of GATEWAY_ONLY) delete env[name];
    if (options.contextVerifyKey) env.CONTEXT_VERIFY_KEY = options.contextVerifyKey;
  }
  return env;
}

/** The public half of a configured context signing key (SPKI PEM), for the subgraphs; none when keys are generated. */
export function contextVerifyKeyOf(config: Config): string | undefined {
  if (config.context.verifyKey) return config.context.verifyKey;
  if (!config.context.signingKey) return undefined;
  return createPublicKey(config.context.signingKey).export({ type: 'spki', format: 'pem' }).toString();
}
