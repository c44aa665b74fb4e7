/**
 * The registry is the one list of services: every folder under subgraphs/ is registered, every
 * registered path exists, and the names it implies (variables, folders) follow one pattern.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  importModule,
  resolvePath,
  ROOT,
  SERVICE_LIST,
  serviceFolder,
  serviceProcesses,
  SUBGRAPH_NAMES,
  isSubgraph,
  type Service,
} from './services.js';

/** The `.ts` source of a registry module path (`.js` names the module as it is imported). */
const sourceOf = (modulePath: string) => resolvePath(modulePath.replace(/\.js$/, '.ts'));
const variablePrefix = (name: string) => name.toUpperCase().replace(/-/g, '_');

describe('the service registry', () => {
  it('registers every folder under subgraphs/ as a subgraph, and no subgraph without its folder', () => {
    const folders = fs
      .readdirSync(path.join(ROOT, 'subgraphs'), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name);
    expect([...folders].sort()).toEqual([...SUBGRAPH_NAMES].sort());
    for (const name of SUBGRAPH_NAMES) expect(serviceFolder(name)).toBe(path.join(ROOT, 'subgraphs', name));
  });

  it.each(SERVICE_LIST.map((service) => [service.name, service] as const))('points %s at files that exist', (_name, service) => {
    expect(fs.existsSync(sourceOf(service.module)), service.module).toBe(true);
    if (service.worker) expect(fs.existsSync(sourceOf(service.worker.module)), service.worker.module).toBe(true);
    if (service.seed) expect(fs.existsSync(sourceOf(service.seed.module)), service.seed.module).toBe(true);
    if (service.database) {
      const migrations = fs.readdirSync(resolvePath(service.database.migrations));
      expect(migrations.some((file) => file.endsWith('.sql')), service.database.migrations).toBe(true);
    }
    if (isSubgraph(service)) expect(fs.existsSync(path.join(serviceFolder(service.name), 'schema.graphql'))).toBe(true);
  });

  it('gives every subgraph, and only subgraphs, a URL variable; every subgraph a database schema and paths inside its folder', () => {
    for (const service of SERVICE_LIST) {
      const prefix = variablePrefix(service.name);
      if (service.port) expect(service.port.variable).toBe(`${prefix}_PORT`);
      expect(Boolean(service.url), service.name).toBe(isSubgraph(service));
      if (!isSubgraph(service)) continue;
      expect(service.url?.variable).toBe(`${prefix}_URL`);
      expect(service.database, service.name).toBeDefined();
      for (const file of [service.module, service.database!.migrations, service.seed?.module ?? service.module]) {
        expect(file.startsWith(`subgraphs/${service.name}/`), file).toBe(true);
      }
    }
  });

  it('gives each service its own port and each database its own schema', () => {
    const ports = SERVICE_LIST.flatMap((service) => (service.port ? [service.port.default] : []));
    const schemas = SERVICE_LIST.flatMap((service) => (service.database ? [service.database.schema] : []));
    expect(new Set(ports).size).toBe(ports.length);
    expect(new Set(schemas).size).toBe(schemas.length);
  });

  it('names modules that export what the registry says', async () => {
    for (const name of SUBGRAPH_NAMES) {
      const module = await importModule<{ name: string; start: unknown; definition: { name: string } }>(SERVICE_LIST.find((s) => s.name === name)!.module);
      expect(module.name).toBe(name);
      expect(module.definition.name).toBe(name);
      expect(typeof module.start).toBe('function');
    }
    for (const { seed } of SERVICE_LIST) {
      if (seed) expect(typeof (await importModule<Record<string, unknown>>(seed.module))[seed.export], `${seed.module} ${seed.export}`).toBe('function');
    }
    for (const service of SERVICE_LIST.filter((candidate) => candidate.kind === 'simulator')) {
      const module = await importModule<{ name: string; start: unknown }>(service.module);
      expect(module.name).toBe(service.name);
      expect(typeof module.start).toBe('function');
    }
  });

  it('registers the simulators of the external systems as a service of their own: a port, and no database, seed, worker or URL', () => {
    const simulators = SERVICE_LIST.filter((service) => service.kind === 'simulator');
    expect(simulators.map((service) => service.name)).toEqual(['simulators']);
    expect(simulators[0]).toMatchObject({ module: 'simulators/index.js', port: { variable: 'SIMULATORS_PORT', default: 4010 } });
    expect(simulators[0]!.database).toBeUndefined();
    expect(simulators[0]!.seed).toBeUndefined();
    expect(simulators[0]!.worker).toBeUndefined();
    expect(simulators[0]!.url, 'SIMULATORS_URL is a setting of its own (lib/config.ts), not a subgraph URL').toBeUndefined();
  });
});

describe('serviceProcesses', () => {
  it('starts the simulators, then the subgraphs, then the gateway, then the workers of the services that own queues', () => {
    expect(serviceProcesses().map((process) => process.name)).toEqual(['simulators', ...SUBGRAPH_NAMES, 'gateway', 'tenancy-worker', 'erp-worker', 'clinical-ops-worker', 'observability-worker']);
    expect(serviceProcesses().find((process) => process.name === 'simulators')).toMatchObject({ kind: 'simulator', module: 'simulators/index.js' });
  });

  it('adds a `<service>-worker` process for each service that owns a worker, after the gateway', () => {
    const withoutErpWorker: Service[] = SERVICE_LIST.map(({ worker: _worker, ...service }) => (service.name === 'erp' ? service : { ...service, worker: _worker }));
    expect(serviceProcesses(withoutErpWorker).map((process) => process.name)).not.toContain('erp-worker');
    const processes = serviceProcesses();
    expect(processes.find((process) => process.name === 'erp-worker')).toMatchObject({
      kind: 'worker',
      module: 'subgraphs/erp/worker.js',
      service: { name: 'erp' },
    });
  });
});
