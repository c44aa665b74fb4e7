/**
 * Configuration, read once from the environment, validated and frozen.
 *
 * Every service calls `loadConfig()` at start; an invalid value stops the process with a
 * message naming the variable (see `ConfigError`). Nothing else in the code base reads
 * `process.env` directly, so this file is the complete list of knobs (README mirrors it).
 */
import path from 'node:path';
import { z } from 'zod';

const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);
const optionalUrl = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .pipe(z.url({ protocol: /^(postgres|postgresql)$/ }).optional());
const httpUrl = (fallback: string) => z.url({ protocol: /^https?$/ }).default(fallback);

const envSchema = z.object({
  /** Admin connection (creates roles, runs migrations as the owner role). Unset: embedded PostgreSQL. */
  DATABASE_URL: optionalUrl.optional(),
  /** Password of the application role `caregraph_app` (the only role requests use). */
  DATABASE_APP_PASSWORD: z.string().min(8).default('caregraph-app-dev'),
  /** Maximum pooled connections per service. */
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  /** Folder for the embedded database, generated keys and demo credentials. */
  CAREGRAPH_DATA_DIR: z.string().min(1).default('.caregraph'),
  /** Interface the services listen on. */
  HOST: z.string().min(1).default('127.0.0.1'),
  GATEWAY_PORT: port(4000),
  TENANCY_PORT: port(4001),
  ERP_PORT: port(4002),
  CLINICAL_OPS_PORT: port(4003),
  OBSERVABILITY_PORT: port(4004),
  /** Where the gateway finds each subgraph (defaults follow the ports above). */
  TENANCY_URL: httpUrl('http://127.0.0.1:4001/graphql'),
  ERP_URL: httpUrl('http://127.0.0.1:4002/graphql'),
  CLINICAL_OPS_URL: httpUrl('http://127.0.0.1:4003/graphql'),
  OBSERVABILITY_URL: httpUrl('http://127.0.0.1:4004/graphql'),
  /**
   * Shared secret (≥ 32 chars) that signs the tenant context the gateway forwards to
   * subgraphs. Unset: a random secret is generated once and kept in the data folder.
   */
  CONTEXT_SIGNING_SECRET: z.string().min(32).optional(),
  /** Seconds a forwarded tenant context stays valid. */
  CONTEXT_TTL_SECONDS: z.coerce.number().int().min(5).max(600).default(60),
  /**
   * JWKS of the identity provider whose JWTs the gateway accepts. Unset: the platform's own
   * development issuer (keys in the data folder; refused when NODE_ENV=production).
   */
  AUTH_JWKS_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** Expected `iss` of user tokens. */
  AUTH_ISSUER: z.string().min(1).default('caregraph-dev-issuer'),
  /** Expected `aud` of user tokens. */
  AUTH_AUDIENCE: z.string().min(1).default('caregraph'),
  /**
   * Seconds the gateway caches API-key lookups and tenant entitlements; revocations and
   * entitlement changes reach every replica within this time.
   */
  ACCESS_CACHE_SECONDS: z.coerce.number().min(0).max(5).default(3),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
});

export type Config = Readonly<{
  database: Readonly<{ url: string | undefined; appPassword: string; poolSize: number }>;
  dataDir: string;
  host: string;
  ports: Readonly<Record<ServiceName, number>>;
  subgraphUrls: Readonly<Record<SubgraphName, string>>;
  context: Readonly<{ signingSecret: string | undefined; ttlSeconds: number }>;
  auth: AuthConfig;
  accessCacheSeconds: number;
  logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
  env: z.infer<typeof envSchema>['NODE_ENV'];
}>;

/** How user tokens are verified: against an external JWKS, or the built-in development issuer. */
export type AuthConfig = Readonly<
  | { mode: 'jwks'; jwksUrl: string; issuer: string; audience: string }
  | { mode: 'dev'; issuer: string; audience: string }
>;

export const SUBGRAPH_NAMES = ['tenancy', 'erp', 'clinical-ops', 'observability'] as const;
export type SubgraphName = (typeof SUBGRAPH_NAMES)[number];
export type ServiceName = SubgraphName | 'gateway';

/** Thrown at start when the environment is invalid; the message names each bad variable. */
export class ConfigError extends Error {
  constructor(readonly issues: { variable: string; message: string }[]) {
    super(
      'Invalid configuration:\n' +
        issues.map((issue) => `  ${issue.variable}: ${issue.message}`).join('\n'),
    );
    this.name = 'ConfigError';
  }
}

/** Parses and freezes the configuration from `env` (defaults to `process.env`). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => ({
        variable: String(issue.path[0] ?? '(environment)'),
        message: issue.message,
      })),
    );
  }
  const e = parsed.data;
  if (!e.AUTH_JWKS_URL && e.NODE_ENV === 'production') {
    throw new ConfigError([{ variable: 'AUTH_JWKS_URL', message: 'required in production (the development issuer is for local use only)' }]);
  }
  return deepFreeze({
    database: { url: e.DATABASE_URL, appPassword: e.DATABASE_APP_PASSWORD, poolSize: e.DATABASE_POOL_SIZE },
    dataDir: path.resolve(e.CAREGRAPH_DATA_DIR),
    host: e.HOST,
    ports: {
      gateway: e.GATEWAY_PORT,
      tenancy: e.TENANCY_PORT,
      erp: e.ERP_PORT,
      'clinical-ops': e.CLINICAL_OPS_PORT,
      observability: e.OBSERVABILITY_PORT,
    },
    subgraphUrls: {
      tenancy: e.TENANCY_URL,
      erp: e.ERP_URL,
      'clinical-ops': e.CLINICAL_OPS_URL,
      observability: e.OBSERVABILITY_URL,
    },
    context: { signingSecret: e.CONTEXT_SIGNING_SECRET, ttlSeconds: e.CONTEXT_TTL_SECONDS },
    auth: e.AUTH_JWKS_URL
      ? { mode: 'jwks', jwksUrl: e.AUTH_JWKS_URL, issuer: e.AUTH_ISSUER, audience: e.AUTH_AUDIENCE }
      : { mode: 'dev', issuer: e.AUTH_ISSUER, audience: e.AUTH_AUDIENCE },
    accessCacheSeconds: e.ACCESS_CACHE_SECONDS,
    logLevel: e.LOG_LEVEL,
    env: e.NODE_ENV,
  });
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
