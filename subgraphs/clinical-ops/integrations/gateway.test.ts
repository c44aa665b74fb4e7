/**
 * The process's integration gateway: one per database pool, so every call of the process meets
 * the same breakers; refused before the process configured where the simulators are.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../lib/config.js';
import { Database } from '../../../lib/db/index.js';
import { closeIntegrationGateways, configureIntegrations, configuredSimulatorsUrl, integrationGatewayFor } from './gateway.js';

// Never connected: the gateways below make no call.
const pool = () => new Database({ url: 'postgres://nobody@127.0.0.1:1/none', schema: 'clinical_ops', poolSize: 1, bindingKey: 'k'.repeat(32) });

describe('integrationGatewayFor', () => {
  it('needs the process configured, then gives one gateway per pool', async () => {
    expect(() => integrationGatewayFor(pool())).toThrow(/configureIntegrations/);
    configureIntegrations(loadConfig({ SIMULATORS_URL: 'http://simulators.test:9000', LOG_LEVEL: 'silent' }));
    expect(configuredSimulatorsUrl()).toBe('http://simulators.test:9000');
    const [a, b] = [pool(), pool()];
    const gateway = integrationGatewayFor(a);
    expect(integrationGatewayFor(a)).toBe(gateway);
    expect(integrationGatewayFor(a).breakers).toBe(gateway.breakers);
    expect(integrationGatewayFor(b)).not.toBe(gateway);
    await closeIntegrationGateways();
    expect(integrationGatewayFor(a)).not.toBe(gateway);
    await closeIntegrationGateways();
    await Promise.all([a.close(), b.close()]);
  });
});
