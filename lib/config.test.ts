import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, requireAppPassword } from './config.js';

describe('loadConfig', () => {
  it('has working defaults and is frozen', () => {
    const config = loadConfig({});
    expect(config.ports).toEqual({ gateway: 4000, tenancy: 4001, erp: 4002, 'clinical-ops': 4003, observability: 4004 });
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
