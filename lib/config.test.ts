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

describe('database settings', () => {
  const production = { NODE_ENV: 'production', AUTH_JWKS_URL: 'https://idp.example.test/jwks.json' };
  const issuesOf = (env: Record<string, string>) => {
    try {
      loadConfig(env);
    } catch (error) {
      if (error instanceof ConfigError) return error.issues.map((issue) => issue.variable);
      throw error;
    }
    return [];
  };

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
