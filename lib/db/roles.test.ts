/** Where a subgraph connects: DATABASE_APP_URL, or derived; never an admin's URL. */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config.js';
import { applicationUrl } from './roles.js';

describe('applicationUrl', () => {
  it('takes DATABASE_APP_URL as given', () => {
    const url = 'postgres://caregraph_app:pw-123456@db.example.test:5432/caregraph';
    expect(applicationUrl(loadConfig({ DATABASE_APP_URL: url }), 'erp')).toBe(url);
  });

  it('derives it from DATABASE_URL and DATABASE_APP_PASSWORD', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://admin:admin-pw@db.example.test:5432/caregraph', DATABASE_APP_PASSWORD: 'app-pw-123' });
    const url = new URL(applicationUrl(config, 'erp'));
    expect([url.username, url.password, url.host, url.pathname]).toEqual(['caregraph_app', 'app-pw-123', 'db.example.test:5432', '/caregraph']);
  });

  it('without either, says which variables to set', () => {
    expect(() => applicationUrl(loadConfig({}), 'clinical-ops')).toThrow(ConfigError);
    expect(() => applicationUrl(loadConfig({}), 'clinical-ops')).toThrow(/DATABASE_APP_URL.*clinical-ops.*DATABASE_URL and DATABASE_APP_PASSWORD/s);
  });

  it('refuses a DATABASE_APP_URL of another role', () => {
    const config = loadConfig({ DATABASE_APP_URL: 'postgres://postgres:superuser@127.0.0.1:5432/postgres' });
    expect(() => applicationUrl(config, 'tenancy')).toThrow(/DATABASE_APP_URL: must connect as caregraph_app/);
  });
});
