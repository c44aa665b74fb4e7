import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES, ConfigError, loadConfig, requireAppPassword } from './config.js';
import { ROOT, SERVICE_LIST } from './services.js';

describe('loadConfig', () => {
  it('has working defaults and is frozen', () => {
    const config = loadConfig({});
    expect(config.ports).toMatchObject({ gateway: 4000, tenancy: 4001, erp: 4002, 'clinical-ops': 4003, observability: 4004 });
    expect(config.database.url).toBeUndefined();
    expect(Object.isFrozen(config) && Object.isFrozen(config.ports)).toBe(true);
  });

  it('names every invalid variable', () => {
    try {
      loadConfig({ GATEWAY_PORT: 'eighty', DATABASE_URL: 'mysql://x', CONTEXT_SIGNING_SECRET: 'short' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const variables = (error as ConfigError).issues.map((issue) => issue.variable).sort();
      expect(variables).toEqual(['CONTEXT_SIGNING_SECRET', 'DATABASE_URL', 'GATEWAY_PORT']);
      expect((error as Error).message).toContain('GATEWAY_PORT');
    }
  });

  it('reads a port variable for every service and a URL variable for every subgraph, from the registry', () => {
    const config = loadConfig({ ERP_PORT: '5002', CLINICAL_OPS_URL: 'http://clinical.internal:8080/graphql' });
    expect(config.ports.erp).toBe(5002);
    expect(config.subgraphUrls).toMatchObject({
      tenancy: 'http://127.0.0.1:4001/graphql',
      erp: 'http://127.0.0.1:4002/graphql',
      'clinical-ops': 'http://clinical.internal:8080/graphql',
      observability: 'http://127.0.0.1:4004/graphql',
    });
    for (const service of SERVICE_LIST) {
      if (service.port) expect(CONFIG_VARIABLES).toContain(service.port.variable);
      if (service.url) expect(CONFIG_VARIABLES).toContain(service.url.variable);
    }
    expect(() => loadConfig({ OBSERVABILITY_URL: 'ftp://x' })).toThrow(/OBSERVABILITY_URL/);
  });

  it('treats an empty DATABASE_URL as unset (embedded database)', () => {
    expect(loadConfig({ DATABASE_URL: '' }).database.url).toBeUndefined();
    expect(loadConfig({ DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test' }).database.url).toBe('postgres://postgres@127.0.0.1:5432/test');
  });
});

/** The variables a ConfigError names for `env`; none when it loads. */
const issuesOf = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map((issue) => issue.variable);
    throw error;
  }
  return [];
};

describe('database settings', () => {
  const production = { NODE_ENV: 'production', AUTH_JWKS_URL: 'https://idp.example.test/jwks.json' };

  it('default the application password, statement timeout and binding key outside production', () => {
    const { database } = loadConfig({});
    expect(database).toMatchObject({ appPassword: 'caregraph-app-dev', statementTimeoutMs: 5000, bindingKey: undefined, appUrl: undefined });
    expect(loadConfig({ DATABASE_STATEMENT_TIMEOUT_MS: '1500' }).database.statementTimeoutMs).toBe(1500);
    expect(issuesOf({ DATABASE_STATEMENT_TIMEOUT_MS: '0' })).toEqual(['DATABASE_STATEMENT_TIMEOUT_MS']);
    expect(issuesOf({ DATABASE_BINDING_KEY: 'too-short' })).toEqual(['DATABASE_BINDING_KEY']);
  });

  it('refuse the development application password in production, naming DATABASE_APP_PASSWORD', () => {
    expect(issuesOf({ ...production, DATABASE_APP_PASSWORD: 'caregraph-app-dev' })).toEqual(['DATABASE_APP_PASSWORD']);
    expect(issuesOf({ ...production, DATABASE_URL: 'postgres://admin:x@db.example.test/caregraph' })).toEqual(['DATABASE_APP_PASSWORD']);
    expect(() => loadConfig({ ...production, DATABASE_APP_PASSWORD: 'caregraph-app-dev' })).toThrow(/DATABASE_APP_PASSWORD: the development default is refused/);
  });

  it('in production, need no application password where nothing derives one (gateway; subgraph with DATABASE_APP_URL)', () => {
    const gateway = loadConfig(production);
    expect(gateway.database.appPassword).toBeUndefined();
    expect(() => requireAppPassword(gateway)).toThrow(/DATABASE_APP_PASSWORD/);
    const subgraph = loadConfig({ ...production, DATABASE_APP_URL: 'postgres://caregraph_app:s3cret-pass@db.example.test/caregraph' });
    expect(subgraph.database.appUrl).toContain('caregraph_app');
    expect(loadConfig({ ...production, DATABASE_APP_PASSWORD: 'a-real-password' }).database.appPassword).toBe('a-real-password');
  });
});

describe('README.md', () => {
  /** The backticked variable names in the first column of the README's configuration table. */
  function documentedVariables(): string[] {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const section = readme.split(/^## Configuration$/m)[1]?.split(/^## /m)[0] ?? '';
    const firstColumns = section.split('\n').filter((line) => line.startsWith('| `')).map((line) => line.split('|')[1]!);
    return firstColumns.flatMap((cell) => [...cell.matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((match) => match[1]!));
  }

  it('documents every variable the configuration reads, and no other', () => {
    const documented = documentedVariables();
    expect(documented.length).toBeGreaterThan(0);
    expect([...documented].sort()).toEqual([...CONFIG_VARIABLES].sort());
  });
});

describe('subgraph call settings', () => {
  const issues = (env: Record<string, string>) => {
    try {
      loadConfig(env);
    } catch (error) {
      if (error instanceof ConfigError) return error.issues;
      throw error;
    }
    return [];
  };

  it('give every subgraph SUBGRAPH_TIMEOUT_MS unless SUBGRAPH_TIMEOUTS names it', () => {
    expect(loadConfig({}).subgraphCalls).toEqual({
      timeoutMs: { tenancy: 3000, erp: 3000, 'clinical-ops': 3000, observability: 3000 },
      breakerThreshold: 5,
      breakerCoolDownMs: 1000,
    });
    const config = loadConfig({ SUBGRAPH_TIMEOUT_MS: '2000', SUBGRAPH_TIMEOUTS: ' clinical-ops=5000, observability = 800 ,' });
    expect(config.subgraphCalls.timeoutMs).toEqual({ tenancy: 2000, erp: 2000, 'clinical-ops': 5000, observability: 800 });
  });

  it('refuse an unknown subgraph name, a malformed entry and an out-of-range timeout, naming SUBGRAPH_TIMEOUTS', () => {
    const unknown = issues({ SUBGRAPH_TIMEOUTS: 'clinical=5000' });
    expect(unknown).toEqual([{ variable: 'SUBGRAPH_TIMEOUTS', message: expect.stringContaining('unknown subgraph "clinical"') as unknown }]);
    expect(unknown[0]!.message).toContain('tenancy, erp, clinical-ops, observability');
    expect(issues({ SUBGRAPH_TIMEOUTS: 'erp:5000' }).map((issue) => issue.variable)).toEqual(['SUBGRAPH_TIMEOUTS']);
    expect(issues({ SUBGRAPH_TIMEOUTS: 'erp=10' })[0]!.message).toMatch(/from 50 to 300000/);
    expect(issues({ SUBGRAPH_TIMEOUTS: 'erp=1000,erp=2000' })[0]!.message).toMatch(/twice/);
    expect(() => loadConfig({ SUBGRAPH_TIMEOUTS: 'nope=1' })).toThrow(/SUBGRAPH_TIMEOUTS: unknown subgraph "nope"/);
  });

  it('keep the circuit cool-down short enough for a recovered subgraph to be used within 5 s', () => {
    expect(issues({ SUBGRAPH_BREAKER_COOLDOWN_MS: '5000' }).map((issue) => issue.variable)).toEqual(['SUBGRAPH_BREAKER_COOLDOWN_MS']);
    expect(issues({ SUBGRAPH_BREAKER_THRESHOLD: '0' }).map((issue) => issue.variable)).toEqual(['SUBGRAPH_BREAKER_THRESHOLD']);
    expect(loadConfig({ SUBGRAPH_BREAKER_THRESHOLD: '2', SUBGRAPH_BREAKER_COOLDOWN_MS: '250' }).subgraphCalls).toMatchObject({ breakerThreshold: 2, breakerCoolDownMs: 250 });
  });
});

describe('simulator settings', () => {

  it('default to seed 42, no latency, no failures, and the simulators on 127.0.0.1 at SIMULATORS_PORT', () => {
    expect(loadConfig({}).ports.simulators).toBe(4010);
    expect(loadConfig({}).simulators).toEqual({ url: 'http://127.0.0.1:4010', seed: 42, latencyMs: 0, failureRate: 0 });
    expect(loadConfig({ SIMULATORS_PORT: '5110' }).simulators.url).toBe('http://127.0.0.1:5110');
  });

  it('read SIMULATORS_URL (without its trailing slash), SIMULATORS_SEED, SIMULATORS_LATENCY_MS and SIMULATORS_FAILURE_RATE', () => {
    const config = loadConfig({ SIMULATORS_URL: 'http://sim.internal:8080/', SIMULATORS_SEED: '7', SIMULATORS_LATENCY_MS: '250', SIMULATORS_FAILURE_RATE: '0.1' });
    expect(config.simulators).toEqual({ url: 'http://sim.internal:8080', seed: 7, latencyMs: 250, failureRate: 0.1 });
    expect(Object.isFrozen(config.simulators)).toBe(true);
  });

  it('refuse values out of range, naming the variable', () => {
    expect(issuesOf({ SIMULATORS_FAILURE_RATE: '1.5' })).toEqual(['SIMULATORS_FAILURE_RATE']);
    expect(issuesOf({ SIMULATORS_LATENCY_MS: '-1' })).toEqual(['SIMULATORS_LATENCY_MS']);
    expect(issuesOf({ SIMULATORS_LATENCY_MS: '60001' })).toEqual(['SIMULATORS_LATENCY_MS']);
    expect(issuesOf({ SIMULATORS_SEED: 'forty-two' })).toEqual(['SIMULATORS_SEED']);
    expect(issuesOf({ SIMULATORS_SEED: '4294967296' })).toEqual(['SIMULATORS_SEED']);
    expect(issuesOf({ SIMULATORS_URL: 'ftp://sim' })).toEqual(['SIMULATORS_URL']);
    expect(issuesOf({ SIMULATORS_PORT: '70000' })).toEqual(['SIMULATORS_PORT']);
  });
});

describe('CORS_ALLOWED_ORIGINS', () => {
  const messages = (value: string) => {
    try {
      loadConfig({ CORS_ALLOWED_ORIGINS: value });
    } catch (error) {
      if (error instanceof ConfigError) return error.issues.map((issue) => `${issue.variable}: ${issue.message}`);
      throw error;
    }
    return [];
  };

  it('allows no cross-origin access by default', () => {
    expect(loadConfig({}).corsAllowedOrigins).toEqual([]);
    expect(loadConfig({ CORS_ALLOWED_ORIGINS: ' ' }).corsAllowedOrigins).toEqual([]);
  });

  it('reads exact origins, comma-separated', () => {
    const config = loadConfig({ CORS_ALLOWED_ORIGINS: 'https://app.example.test, http://localhost:5173,' });
    expect(config.corsAllowedOrigins).toEqual(['https://app.example.test', 'http://localhost:5173']);
    expect(Object.isFrozen(config.corsAllowedOrigins)).toBe(true);
  });

  it('refuses what a browser would never send as its Origin, naming the variable and the form to write', () => {
    expect(messages('https://app.example.test/')).toEqual(['CORS_ALLOWED_ORIGINS: "https://app.example.test/" is not written as browsers send it: write https://app.example.test']);
    expect(messages('https://App.example.test:443')[0]).toContain('write https://app.example.test');
    expect(messages('*')[0]).toMatch(/not an origin .*no wildcard/);
    expect(messages('app.example.test')[0]).toContain('is not an origin');
    expect(messages('ftp://files.example.test')[0]).toContain('is not an origin');
    expect(messages('null')[0]).toContain('is not an origin');
    expect(messages('https://a.example.test,https://a.example.test')[0]).toContain('given twice');
  });
});
