/**
 * Configuration, read once from the environment, validated and frozen.
 *
 * Every service calls `loadConfig()` at start; an invalid value stops the process with a
 * message naming the variable (see `ConfigError`). Nothing else in the code base reads
 * `process.env` directly, so this file — with the port and URL variables it generates from
 * the service registry (lib/services.ts) — is the complete list of knobs: `CONFIG_VARIABLES`,
 * which the README's table must match (lib/config.test.ts).
 */
import { createPrivateKey, createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';
import { defaultSubgraphUrl, SERVICE_LIST, SUBGRAPH_NAMES, type ListeningServiceName, type SubgraphName } from './services.js';

export { SUBGRAPH_NAMES, type ServiceName, type SubgraphName } from './services.js';

const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);
const optionalUrl = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .pipe(z.url({ protocol: /^(postgres|postgresql)$/ }).optional());
const httpUrl = (fallback: string) => z.url({ protocol: /^https?$/ }).default(fallback);

/**
 * An Ed25519 key given as PEM (PKCS8 private, SPKI public; `\n` escapes allowed) or as a JWK,
 * parsed at start so that a wrong key stops the service naming its variable, and kept as
 * normalised PEM text (a frozen KeyObject would break node:crypto's own lazy fields).
 */
const ed25519Key = (kind: 'private' | 'public') =>
  z
    .string()
    .trim()
    .min(1)
    .transform((text, ctx) => {
      const parsed = ed25519Pem(text, kind);
      if ('pem' in parsed) return parsed.pem;
      ctx.addIssue({ code: 'custom', message: parsed.problem });
      return z.NEVER;
    })
    .optional();

function ed25519Pem(text: string, kind: 'private' | 'public'): { pem: string } | { problem: string } {
  const expected = `must be an Ed25519 ${kind} key (${kind === 'private' ? 'PKCS8' : 'SPKI'} PEM or JWK)`;
  let key: KeyObject;
  try {
    const input = text.startsWith('{') ? { key: JSON.parse(text) as JsonWebKey, format: 'jwk' as const } : text.replace(/\\n/g, '\n');
    // createPublicKey also accepts a private key (and derives its public half): refuse it, so
    // that the private key is not spread to every subgraph by mistake.
    if (kind === 'public' && isPrivateKey(input)) return { problem: 'is a private key: give the subgraphs only the public half' };
    key = kind === 'private' ? createPrivateKey(input) : createPublicKey(input);
  } catch {
    return { problem: expected };
  }
  if (key.asymmetricKeyType !== 'ed25519') return { problem: expected };
  return { pem: key.export({ type: kind === 'private' ? 'pkcs8' : 'spki', format: 'pem' }).toString() };
}

function isPrivateKey(input: Parameters<typeof createPrivateKey>[0]): boolean {
  try {
    createPrivateKey(input);
    return true;
  } catch {
    return false;
  }
}

/** Milliseconds one gateway call to a subgraph may take (SUBGRAPH_TIMEOUT_MS, SUBGRAPH_TIMEOUTS). */
const SUBGRAPH_TIMEOUT_RANGE = { min: 50, max: 300_000 } as const;
const subgraphTimeout = z.coerce.number().int().min(SUBGRAPH_TIMEOUT_RANGE.min).max(SUBGRAPH_TIMEOUT_RANGE.max);

/**
 * `name=ms,name=ms`: the subgraphs whose timeout is not SUBGRAPH_TIMEOUT_MS. A name that is not
 * a subgraph is refused rather than ignored: a typo would otherwise leave the default in force
 * unnoticed.
 */
const subgraphTimeouts = z
  .string()
  .optional()
  .transform((text, ctx) => {
    const timeouts: Partial<Record<SubgraphName, number>> = {};
    const problem = (message: string) => ctx.addIssue({ code: 'custom', message });
    for (const entry of (text ?? '').split(',').map((part) => part.trim()).filter(Boolean)) {
      const match = /^([^=\s]+)\s*=\s*(\S+)$/.exec(entry);
      if (!match) {
        problem(`"${entry}" is not name=milliseconds`);
        continue;
      }
      const [, name = '', ms] = match;
      if (!(SUBGRAPH_NAMES as readonly string[]).includes(name)) {
        problem(`unknown subgraph "${name}" (the subgraphs are ${SUBGRAPH_NAMES.join(', ')})`);
        continue;
      }
      const subgraph = name as SubgraphName;
      const parsed = subgraphTimeout.safeParse(ms);
      if (subgraph in timeouts) problem(`"${name}" is given twice`);
      else if (!parsed.success) problem(`${name}: ${ms} is not a whole number of milliseconds from ${SUBGRAPH_TIMEOUT_RANGE.min} to ${SUBGRAPH_TIMEOUT_RANGE.max}`);
      else timeouts[subgraph] = parsed.data;
    }
    return timeouts;
  });

/**
 * `origin,origin`, each exactly as a browser sends it in its `Origin` header, since the gateway
 * compares them as strings: anything else would never match, so it is refused with the form to
 * write instead. No wildcard: every origin that may call the API is named.
 */
const corsOrigins = z
  .string()
  .optional()
  .transform((text, ctx) => {
    const origins: string[] = [];
    const problem = (message: string) => ctx.addIssue({ code: 'custom', message });
    for (const entry of (text ?? '').split(',').map((part) => part.trim()).filter(Boolean)) {
      let origin: string | undefined;
      try {
        const url = new URL(entry);
        if (url.protocol === 'https:' || url.protocol === 'http:') origin = url.origin;
      } catch {
        // not a URL: reported below
      }
      if (origin === undefined) problem(`"${entry}" is not an origin (scheme://host[:port])${entry === '*' ? ': list the origins, no wildcard is accepted' : ''}`);
      else if (origin !== entry) problem(`"${entry}" is not written as browsers send it: write ${origin}`);
      else if (origins.includes(origin)) problem(`"${entry}" is given twice`);
      else origins.push(origin);
    }
    return origins;
  });

/** The longest latency a simulated system may be given (SIMULATORS_LATENCY_MS, and its knob at run time). */
export const SIMULATOR_MAX_LATENCY_MS = 60_000;

/** The application role's password outside production, so that a fresh clone starts with no setup. */
const DEV_APP_PASSWORD = 'caregraph-app-dev';
/** The gateway role's password outside production, likewise. */
const DEV_GATEWAY_PASSWORD = 'caregraph-gateway-dev';

const envSchema = z.object({
  /**
   * Admin connection (creates roles, runs migrations as the owner role): for `npm start`,
   * `npm run migrate` and `npm run seed` only, never given to a service. Unset: embedded PostgreSQL.
   */
  DATABASE_URL: optionalUrl.optional(),
  /**
   * The application role's connection string, all a subgraph needs. Unset: derived from
   * DATABASE_URL and DATABASE_APP_PASSWORD (`npm start` gives each subgraph its own).
   */
  DATABASE_APP_URL: optionalUrl.optional(),
  /**
   * Password of the application role `caregraph_app` (the only role requests use). Defaults to
   * a development value outside production; in production it has no default and the
   * development value is refused.
   */
  DATABASE_APP_PASSWORD: z.string().min(8).optional(),
  /**
   * The gateway's connection string, as `caregraph_gateway`: a role that may touch the shared
   * rate-limit counters and nothing else. Unset: derived from DATABASE_URL and
   * DATABASE_GATEWAY_PASSWORD where both are known (`npm start` gives the gateway its own);
   * without one, each gateway replica counts rate limits in its own memory.
   */
  DATABASE_GATEWAY_URL: optionalUrl.optional(),
  /** Password of `caregraph_gateway`; a development default outside production, refused in production. */
  DATABASE_GATEWAY_PASSWORD: z.string().min(8).optional(),
  /**
   * Key (≥ 32 chars) that binds a transaction to its tenant: row-level security trusts only
   * bindings made with it. The same on every subgraph and on whatever runs migrations. Unset:
   * generated once into the data folder. A secret: never logged.
   */
  DATABASE_BINDING_KEY: z.string().min(32).optional(),
  /** Longest statement (and longest idle time inside a transaction) of the application role, in ms. */
  DATABASE_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(5000),
  /** Maximum pooled connections per service. */
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  /**
   * Where ISOLATED tenants' databases live, per region: `region=postgres://host:port/db,…`
   * (credentials in these URLs are ignored: each role brings its own). A region not listed, and
   * every region when unset, uses the shared database's server (lib/db/tenant-databases.ts).
   */
  DATABASE_REGION_SERVERS: z
    .string()
    .trim()
    .default('')
    .transform((text, ctx) => {
      const servers: Record<string, string> = {};
      for (const entry of text.split(',').map((part) => part.trim()).filter(Boolean)) {
        const match = /^([a-z][a-z0-9-]{1,30})=(postgres(?:ql)?:\/\/.+)$/.exec(entry);
        if (!match || !URL.canParse(match[2]!)) {
          ctx.addIssue({ code: 'custom', message: `"${entry.replace(/\/\/[^@/]*@/, '//')}" is not region=postgres://host:port/database` });
          return z.NEVER;
        }
        servers[match[1]!] = match[2]!;
      }
      return servers;
    }),
  /** Folder for the embedded database, generated keys and demo credentials. */
  CAREGRAPH_DATA_DIR: z.string().min(1).default('.caregraph'),
  /** Interface the services listen on. */
  HOST: z.string().min(1).default('127.0.0.1'),
  /**
   * Origins whose web pages may call the gateway's GraphQL API from a browser, comma-separated,
   * each as `scheme://host[:port]` (`https://app.example.com,http://localhost:5173`). Empty (the
   * default): no cross-origin access; the gateway's own explorer is same-origin and needs none.
   */
  CORS_ALLOWED_ORIGINS: corsOrigins,
  /**
   * Ed25519 private key (PKCS8 PEM or JWK) with which the gateway signs the tenant context it
   * forwards; only the gateway needs it. Unset: a key pair is generated once into the data folder.
   */
  CONTEXT_SIGNING_KEY: ed25519Key('private'),
  /**
   * Ed25519 public key (SPKI PEM or JWK) with which subgraphs verify forwarded contexts. Unset:
   * the public half of CONTEXT_SIGNING_KEY when that is set, else the generated pair's.
   */
  CONTEXT_VERIFY_KEY: ed25519Key('public'),
  /**
   * The shared HMAC secret of earlier versions, replaced by the key pair above
   * (docs/adr/0002-asymmetric-tenant-context.md). Refused rather than ignored, so that a
   * deployment still setting it learns that it no longer protects anything.
   */
  CONTEXT_SIGNING_SECRET: z
    .never({ error: 'no longer used: contexts are signed with an Ed25519 key pair (set CONTEXT_SIGNING_KEY on the gateway, CONTEXT_VERIFY_KEY on subgraphs)' })
    .optional(),
  /**
   * Seconds a forwarded tenant context stays valid: long enough for one request's subgraph
   * fetches, short because a context is bound to one request id.
   */
  CONTEXT_TTL_SECONDS: z.coerce.number().int().min(5).max(600).default(30),
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
  /**
   * Milliseconds the gateway gives one GraphQL request, from arrival to answer; past it the
   * client gets 504 GATEWAY_TIMEOUT and the request's subgraph fetches are aborted.
   */
  GATEWAY_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).max(300_000).default(10_000),
  /**
   * Milliseconds the gateway gives one call to a subgraph, from sending it to the last byte of
   * the answer. Past it that subgraph's fields are null with SUBGRAPH_UNAVAILABLE and the rest
   * of the answer goes out: well under GATEWAY_REQUEST_TIMEOUT_MS, so that one slow subgraph
   * costs its own fields, not the whole response (the request deadline still bounds the sum).
   */
  SUBGRAPH_TIMEOUT_MS: subgraphTimeout.default(3_000),
  /** Per-subgraph overrides of SUBGRAPH_TIMEOUT_MS, as `name=ms,name=ms` (e.g. `clinical-ops=5000`). */
  SUBGRAPH_TIMEOUTS: subgraphTimeouts,
  /**
   * Failed calls in a row (timeouts, connection errors, 5xx answers) after which the gateway
   * stops calling a subgraph and fails its fields at once, until a trial call succeeds.
   */
  SUBGRAPH_BREAKER_THRESHOLD: z.coerce.number().int().min(1).max(1_000).default(5),
  /**
   * Milliseconds an open circuit fails fast before it lets one trial call through. At most 4 s:
   * a subgraph that comes back must be used again within 5 s.
   */
  SUBGRAPH_BREAKER_COOLDOWN_MS: z.coerce.number().int().min(100).max(4_000).default(1_000),
  /**
   * `on` (the default): the gateway limits requests per API key, user and tenant by the tenant
   * plan's limits (docs/policies.md, "Rate limits"). `off` is for load tests of the rest of
   * the platform only.
   */
  RATE_LIMITS: z.enum(['on', 'off']).default('on'),
  /**
   * Seconds of one rate-limit window (the plans' limits are per minute and scaled to it). Shorter
   * windows only suit tests and benchmarks that must see a window pass.
   */
  RATE_LIMIT_WINDOW_SECONDS: z.coerce.number().int().min(1).max(3_600).default(60),
  /**
   * Seconds requests pass uncounted while the shared rate-limit store cannot be reached; after
   * that each replica counts in its own memory until the store answers again.
   */
  RATE_LIMIT_FAIL_OPEN_SECONDS: z.coerce.number().int().min(0).max(3_600).default(30),
  /**
   * Milliseconds a stopping service gives the requests and jobs in hand to finish (after it has
   * stopped answering ready and taking new ones); what is still running then is cut off.
   */
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(120_000).default(10_000),
  /**
   * Base URL of the offline simulators of the external systems (payers, EHR, pharmacy,
   * messaging; docs/simulators.md), where the clinical-ops connectors send their calls. Unset:
   * the simulators process `npm start` runs, `http://127.0.0.1:<SIMULATORS_PORT>`.
   */
  SIMULATORS_URL: z.url({ protocol: /^https?$/ }).optional(),
  /**
   * Seed of every simulated outcome, injected failures included: the same seed and the same
   * requests give the same answers on every run, so a test can pin exact counts.
   */
  SIMULATORS_SEED: z.coerce.number().int().min(0).max(0xffff_ffff).default(42),
  /** Milliseconds every simulated system adds to each answer, until changed at run time (PUT /admin/knobs). */
  SIMULATORS_LATENCY_MS: z.coerce.number().int().min(0).max(SIMULATOR_MAX_LATENCY_MS).default(0),
  /** Share of requests (0–1) every simulated system answers 503, until changed at run time (PUT /admin/knobs). */
  SIMULATORS_FAILURE_RATE: z.coerce.number().min(0).max(1).default(0),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
});

/**
 * One variable per registered service for the port it listens on (`GATEWAY_PORT`,
 * `TENANCY_PORT` …) and, for each subgraph, one for where the gateway finds it
 * (`TENANCY_URL` …, default: 127.0.0.1 on the subgraph's default port). Generated from the
 * registry, so a new service brings its variables with it.
 */
const serviceVariables = z.object(
  Object.fromEntries(
    SERVICE_LIST.flatMap((service) => [
      ...(service.port ? [[service.port.variable, port(service.port.default)] as const] : []),
      ...(service.url ? [[service.url.variable, httpUrl(defaultSubgraphUrl(service.name as SubgraphName))] as const] : []),
    ]),
  ),
);

/** Every environment variable the configuration reads, in schema order (the README's table lists each). */
export const CONFIG_VARIABLES: readonly string[] = Object.freeze([...Object.keys(envSchema.shape), ...Object.keys(serviceVariables.shape)]);

export type Config = Readonly<{
  database: Readonly<{
    /** Admin connection string (DATABASE_URL). */
    url: string | undefined;
    /** Application-role connection string (DATABASE_APP_URL). */
    appUrl: string | undefined;
    /** Undefined only in production when DATABASE_APP_PASSWORD is unset (see `requireAppPassword`). */
    appPassword: string | undefined;
    bindingKey: string | undefined;
    statementTimeoutMs: number;
    poolSize: number;
    /** The gateway role's connection string (DATABASE_GATEWAY_URL). */
    gatewayUrl: string | undefined;
    /** Undefined only in production when DATABASE_GATEWAY_PASSWORD is unset: the role then has no password. */
    gatewayPassword: string | undefined;
    /** DATABASE_REGION_SERVERS: the server of each region's isolated tenant databases. */
    regionServers: Readonly<Record<string, string>>;
  }>;
  dataDir: string;
  host: string;
  /** CORS_ALLOWED_ORIGINS: the origins whose pages may call the gateway's GraphQL path (none by default). */
  corsAllowedOrigins: readonly string[];
  /** The port of each service (`<NAME>_PORT`). */
  ports: Readonly<Record<ListeningServiceName, number>>;
  /** Where the gateway finds each subgraph (`<NAME>_URL`). */
  subgraphUrls: Readonly<Record<SubgraphName, string>>;
  /** Context signing keys as PEM text (PKCS8 private, SPKI public); unset: generated in the data folder. */
  context: Readonly<{ signingKey: string | undefined; verifyKey: string | undefined; ttlSeconds: number }>;
  auth: AuthConfig;
  accessCacheSeconds: number;
  /** GATEWAY_REQUEST_TIMEOUT_MS: the gateway's deadline for one GraphQL request. */
  gatewayRequestTimeoutMs: number;
  /** How the gateway calls subgraphs: the time each call may take, and when to stop calling one that fails. */
  subgraphCalls: Readonly<{
    /** Per subgraph: its SUBGRAPH_TIMEOUTS entry, else SUBGRAPH_TIMEOUT_MS. */
    timeoutMs: Readonly<Record<SubgraphName, number>>;
    /** SUBGRAPH_BREAKER_THRESHOLD: failed calls in a row that open a subgraph's circuit. */
    breakerThreshold: number;
    /** SUBGRAPH_BREAKER_COOLDOWN_MS: how long an open circuit fails fast before one trial call. */
    breakerCoolDownMs: number;
  }>;
  /** SHUTDOWN_GRACE_MS: how long a stopping service lets the work in hand finish. */
  shutdownGraceMs: number;
  /** The offline simulators of the external systems (docs/simulators.md). */
  simulators: Readonly<{
    /** SIMULATORS_URL: where the services reach them, without a trailing slash. */
    url: string;
    /** SIMULATORS_SEED. */
    seed: number;
    /** SIMULATORS_LATENCY_MS and SIMULATORS_FAILURE_RATE: the knobs every system starts with, and returns to on POST /admin/reset. */
    latencyMs: number;
    failureRate: number;
  }>;
  /** How the gateway limits request rates (docs/policies.md, "Rate limits"). */
  rateLimits: Readonly<{ enabled: boolean; windowMs: number; failOpenMs: number }>;
  logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
  env: z.infer<typeof envSchema>['NODE_ENV'];
}>;

/** How user tokens are verified: against an external JWKS, or the built-in development issuer. */
export type AuthConfig = Readonly<
  | { mode: 'jwks'; jwksUrl: string; issuer: string; audience: string }
  | { mode: 'dev'; issuer: string; audience: string }
>;

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

/** The application role's password, for the code that sets or derives it; ConfigError when production left it unset. */
export function requireAppPassword(config: Config): string {
  if (config.database.appPassword) return config.database.appPassword;
  throw new ConfigError([{ variable: 'DATABASE_APP_PASSWORD', message: 'required in production to set or derive the application role\'s credentials' }]);
}

/** Parses and freezes the configuration from `env` (defaults to `process.env`). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  const services = serviceVariables.safeParse(env);
  if (!parsed.success || !services.success) {
    throw new ConfigError(
      [...(parsed.error?.issues ?? []), ...(services.error?.issues ?? [])].map((issue) => ({
        variable: String(issue.path[0] ?? '(environment)'),
        message: issue.message,
      })),
    );
  }
  const e = parsed.data;
  const s = services.data as Record<string, number | string>;
  if (!e.AUTH_JWKS_URL && e.NODE_ENV === 'production') {
    throw new ConfigError([{ variable: 'AUTH_JWKS_URL', message: 'required in production (the development issuer is for local use only)' }]);
  }
  if (e.NODE_ENV === 'production' && e.DATABASE_APP_PASSWORD === DEV_APP_PASSWORD) {
    throw new ConfigError([{ variable: 'DATABASE_APP_PASSWORD', message: 'the development default is refused in production: set a password of your own' }]);
  }
  if (e.NODE_ENV === 'production' && e.DATABASE_GATEWAY_PASSWORD === DEV_GATEWAY_PASSWORD) {
    throw new ConfigError([{ variable: 'DATABASE_GATEWAY_PASSWORD', message: 'the development default is refused in production: set a password of your own' }]);
  }
  if (e.NODE_ENV === 'production' && e.DATABASE_URL && !e.DATABASE_APP_PASSWORD) {
    throw new ConfigError([{ variable: 'DATABASE_APP_PASSWORD', message: 'required in production with DATABASE_URL (it sets the application role\'s password)' }]);
  }
  const ports = Object.fromEntries(
    SERVICE_LIST.flatMap((service) => (service.port ? [[service.name, s[service.port.variable] as number]] : [])),
  ) as Record<ListeningServiceName, number>;
  return deepFreeze({
    database: {
      url: e.DATABASE_URL,
      appUrl: e.DATABASE_APP_URL,
      appPassword: e.DATABASE_APP_PASSWORD ?? (e.NODE_ENV === 'production' ? undefined : DEV_APP_PASSWORD),
      bindingKey: e.DATABASE_BINDING_KEY,
      statementTimeoutMs: e.DATABASE_STATEMENT_TIMEOUT_MS,
      poolSize: e.DATABASE_POOL_SIZE,
      gatewayUrl: e.DATABASE_GATEWAY_URL,
      gatewayPassword: e.DATABASE_GATEWAY_PASSWORD ?? (e.NODE_ENV === 'production' ? undefined : DEV_GATEWAY_PASSWORD),
      regionServers: e.DATABASE_REGION_SERVERS,
    },
    dataDir: path.resolve(e.CAREGRAPH_DATA_DIR),
    host: e.HOST,
    corsAllowedOrigins: e.CORS_ALLOWED_ORIGINS,
    ports,
    subgraphUrls: Object.fromEntries(
      SERVICE_LIST.flatMap((service) => (service.url ? [[service.name, s[service.url.variable] as string]] : [])),
    ) as Record<SubgraphName, string>,
    context: { signingKey: e.CONTEXT_SIGNING_KEY, verifyKey: e.CONTEXT_VERIFY_KEY, ttlSeconds: e.CONTEXT_TTL_SECONDS },
    auth: e.AUTH_JWKS_URL
      ? { mode: 'jwks', jwksUrl: e.AUTH_JWKS_URL, issuer: e.AUTH_ISSUER, audience: e.AUTH_AUDIENCE }
      : { mode: 'dev', issuer: e.AUTH_ISSUER, audience: e.AUTH_AUDIENCE },
    accessCacheSeconds: e.ACCESS_CACHE_SECONDS,
    gatewayRequestTimeoutMs: e.GATEWAY_REQUEST_TIMEOUT_MS,
    subgraphCalls: {
      timeoutMs: Object.fromEntries(SUBGRAPH_NAMES.map((name) => [name, e.SUBGRAPH_TIMEOUTS[name] ?? e.SUBGRAPH_TIMEOUT_MS])) as Record<SubgraphName, number>,
      breakerThreshold: e.SUBGRAPH_BREAKER_THRESHOLD,
      breakerCoolDownMs: e.SUBGRAPH_BREAKER_COOLDOWN_MS,
    },
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    simulators: {
      url: (e.SIMULATORS_URL ?? `http://127.0.0.1:${ports.simulators}`).replace(/\/+$/, ''),
      seed: e.SIMULATORS_SEED,
      latencyMs: e.SIMULATORS_LATENCY_MS,
      failureRate: e.SIMULATORS_FAILURE_RATE,
    },
    rateLimits: {
      enabled: e.RATE_LIMITS === 'on',
      windowMs: e.RATE_LIMIT_WINDOW_SECONDS * 1000,
      failOpenMs: e.RATE_LIMIT_FAIL_OPEN_SECONDS * 1000,
    },
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
