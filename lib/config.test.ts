import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

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
