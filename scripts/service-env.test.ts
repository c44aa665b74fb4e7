/**
 * What `npm start` hands each process: the gateway only the gateway role's URL, each subgraph
 * and worker the application role's URL, the simulators no secret at all, and none of them
 * anything of the admin's.
 */
import { describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { loadConfig, SUBGRAPH_NAMES } from '../lib/config.js';
import { serviceProcesses, type ServiceProcess } from '../lib/services.js';
import { contextVerifyKeyOf, needsDatabase, serviceEnv } from './service-env.js';

const processNamed = (name: string): ServiceProcess => serviceProcesses().find((candidate) => candidate.name === name)!;
const gateway = processNamed('gateway');
/** A worker a service owns; none may be registered yet, and what it gets depends on its kind only. */
const worker: Pick<ServiceProcess, 'kind'> = { kind: 'worker' };

const SUPERUSER_PASSWORD = 'superuser-secret-4f1b';
const parent: NodeJS.ProcessEnv = {
  PATH: '/usr/bin',
  DATABASE_URL: `postgres://postgres:${SUPERUSER_PASSWORD}@127.0.0.1:5432/postgres`,
  DATABASE_APP_URL: 'postgres://caregraph_app:stale@127.0.0.1:5432/postgres',
  DATABASE_APP_PASSWORD: 'app-secret-9c2d',
  DATABASE_GATEWAY_PASSWORD: 'gateway-secret-71ae',
  DATABASE_BINDING_KEY: 'b'.repeat(43),
  GATEWAY_PORT: '4100',
};
const options = {
  appUrl: 'postgres://caregraph_app:app-secret-9c2d@127.0.0.1:5432/postgres',
  gatewayUrl: 'postgres://caregraph_gateway:gateway-secret-71ae@127.0.0.1:5432/postgres',
  dataDir: '/data',
  logLevel: 'warn',
};

describe('serviceEnv', () => {
  it('gives the gateway the gateway role’s URL only: no admin or application credential, no binding key', () => {
    const env = serviceEnv(gateway, parent, options);
    for (const name of ['DATABASE_URL', 'DATABASE_APP_URL', 'DATABASE_APP_PASSWORD', 'DATABASE_GATEWAY_PASSWORD', 'DATABASE_BINDING_KEY']) {
      expect(env[name], name).toBeUndefined();
    }
    expect(env.DATABASE_GATEWAY_URL).toBe(options.gatewayUrl);
    expect(new URL(env.DATABASE_GATEWAY_URL!).username).toBe('caregraph_gateway');
    const values = Object.values(env).join('\n');
    expect(values).not.toContain(SUPERUSER_PASSWORD);
    expect(values).not.toContain('app-secret-9c2d');
    expect(env).toMatchObject({ PATH: '/usr/bin', GATEWAY_PORT: '4100', CAREGRAPH_DATA_DIR: '/data', LOG_LEVEL: 'warn' });
  });

  it.each([...SUBGRAPH_NAMES, 'a worker'])('gives %s only the application role’s URL', (name) => {
    const env = serviceEnv(name === 'a worker' ? worker : processNamed(name), parent, options);
    expect(env.DATABASE_APP_URL).toBe(options.appUrl);
    expect(new URL(env.DATABASE_APP_URL!).username).toBe('caregraph_app');
    expect(env.DATABASE_URL).toBeUndefined();
    expect(env.DATABASE_APP_PASSWORD).toBeUndefined();
    expect(env.DATABASE_GATEWAY_URL).toBeUndefined();
    expect(Object.values(env).join('\n')).not.toContain(SUPERUSER_PASSWORD);
    expect(Object.values(env).join('\n')).not.toContain('gateway-secret-71ae');
    expect(env.DATABASE_BINDING_KEY).toBe(parent.DATABASE_BINDING_KEY);
  });

  it('gives subgraphs the public half of a configured signing key, never the private key', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const signingKey = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const config = loadConfig({ CONTEXT_SIGNING_KEY: signingKey, CAREGRAPH_DATA_DIR: '/data' });
    const verifyKey = contextVerifyKeyOf(config);
    expect(verifyKey).toBe(publicKey.export({ type: 'spki', format: 'pem' }).toString());
    const withKey = { ...parent, CONTEXT_SIGNING_KEY: signingKey };
    for (const target of [...SUBGRAPH_NAMES.map(processNamed), worker]) {
      const env = serviceEnv(target, withKey, { ...options, contextVerifyKey: verifyKey });
      expect(env.CONTEXT_SIGNING_KEY).toBeUndefined();
      expect(env.CONTEXT_VERIFY_KEY).toBe(verifyKey);
    }
    expect(serviceEnv(gateway, withKey, options).CONTEXT_SIGNING_KEY).toBe(signingKey);
    expect(contextVerifyKeyOf(loadConfig({ CAREGRAPH_DATA_DIR: '/data' }))).toBeUndefined();
  });

  it('gives the simulators no secret of the platform: no database credential, binding key or signing key', () => {
    const simulators = processNamed('simulators');
    expect(needsDatabase(simulators)).toBe(false);
    const { privateKey } = generateKeyPairSync('ed25519');
    const env = serviceEnv(simulators, { ...parent, CONTEXT_SIGNING_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() }, options);
    for (const name of ['DATABASE_URL', 'DATABASE_APP_URL', 'DATABASE_APP_PASSWORD', 'DATABASE_GATEWAY_URL', 'DATABASE_GATEWAY_PASSWORD', 'DATABASE_BINDING_KEY', 'CONTEXT_SIGNING_KEY', 'CONTEXT_VERIFY_KEY']) {
      expect(env[name], name).toBeUndefined();
    }
    const values = Object.values(env).join('\n');
    for (const secret of [SUPERUSER_PASSWORD, 'app-secret-9c2d', 'gateway-secret-71ae', parent.DATABASE_BINDING_KEY!]) expect(values).not.toContain(secret);
    expect(env).toMatchObject({ PATH: '/usr/bin', CAREGRAPH_DATA_DIR: '/data', LOG_LEVEL: 'warn' });
  });

  it('has every process but the gateway and the simulators wait for the database', () => {
    expect(serviceProcesses().filter((target) => !needsDatabase(target)).map((target) => target.name)).toEqual(['simulators', 'gateway']);
  });

  it('leaves the parent environment as it was', () => {
    serviceEnv(processNamed('tenancy'), parent, options);
    expect(parent.DATABASE_URL).toContain(SUPERUSER_PASSWORD);
  });
});
