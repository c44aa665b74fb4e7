import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build, BUNDLE_RUNNER, BUNDLES_FOLDER, isBuildStale, LAUNCHER_BUNDLE, PROJECT_ROOT, projectRootFrom, rewriteModuleUrl } from './build.js';
import { cacheFileOf } from './bundle-loader.js';
import { serviceProcesses } from '../lib/services.js';

describe('build', () => {
  let root: string;
  const write = (file: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), text);
  };
  const touch = (file: string) => {
    const now = new Date();
    fs.utimesSync(path.join(root, file), now, now);
  };

  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'caregraph-build-'));
    write('package.json', '{ "type": "module" }');
    write('lib/greet.ts', "import { name } from './name.js';\nexport const greet = (who: string = name): string => `hello ${who}`;\n");
    write('lib/name.ts', "export const name: string = 'world';\n");
    write('lib/greet.test.ts', 'throw new Error("tests are not built");\n');
    write('lib/README.md', '# lib\n');
    write('subgraphs/erp/migrations/001_init.sql', 'SELECT 1;\n');
    write('schema/supergraph.graphql', 'type Query { a: Int }\n');
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('compiles TypeScript and copies the files the code reads, leaving tests and docs behind', async () => {
    expect(isBuildStale({ root })).toBe(true);
    const result = await build({ root, bundle: false });
    expect(result).toMatchObject({ compiled: 2, copied: 2 });
    const dist = path.join(root, 'dist');
    const { greet } = (await import(pathToFileURL(path.join(dist, 'lib', 'greet.js')).href)) as { greet: () => string };
    expect(greet()).toBe('hello world');
    expect(fs.readFileSync(path.join(dist, 'subgraphs', 'erp', 'migrations', '001_init.sql'), 'utf8')).toBe('SELECT 1;\n');
    expect(fs.existsSync(path.join(dist, 'schema', 'supergraph.graphql'))).toBe(true);
    expect(fs.existsSync(path.join(dist, 'lib', 'greet.test.js'))).toBe(false);
    expect(fs.existsSync(path.join(dist, 'lib', 'README.md'))).toBe(false);
    expect(fs.readdirSync(root).filter((entry) => entry.endsWith('.tmp'))).toEqual([]);
  });

  it('is stale once a source changes or a file is added or removed, and fresh after building again', async () => {
    await build({ root, bundle: false });
    expect(isBuildStale({ root })).toBe(false);
    touch('schema/supergraph.graphql');
    expect(isBuildStale({ root })).toBe(true);
    await build({ root, bundle: false });
    expect(isBuildStale({ root })).toBe(false);
    write('lib/new.ts', 'export {};\n');
    expect(isBuildStale({ root })).toBe(true);
    await build({ root, bundle: false });
    fs.rmSync(path.join(root, 'lib', 'new.ts'));
    expect(isBuildStale({ root }), 'a removed file changes its folder').toBe(true);
  });

  it('finds the project root from dist/, which holds no package.json', () => {
    expect(projectRootFrom(path.join(PROJECT_ROOT, 'dist', 'scripts'))).toBe(PROJECT_ROOT);
    expect(fs.existsSync(path.join(PROJECT_ROOT, 'package.json'))).toBe(true);
  });
});

describe('the bundles npm start runs', () => {
  let outDir: string;
  beforeAll(async () => {
    outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'caregraph-dist-'));
    await build({ outDir });
  }, 120_000);
  afterAll(() => fs.rmSync(outDir, { recursive: true, force: true }));

  it('has one bundle per process of the registry, one of the launcher, and their loader', () => {
    const bundles = fs.readdirSync(path.join(outDir, BUNDLES_FOLDER)).filter((file) => file.endsWith('.cjs'));
    expect(bundles.sort()).toEqual([...serviceProcesses().map((chosen) => chosen.name), LAUNCHER_BUNDLE].map((name) => `${name}.cjs`).sort());
    expect(fs.existsSync(path.join(outDir, BUNDLE_RUNNER))).toBe(true);
  });

  it('runs the gateway from its bundle, finding its files beside it, and reuses the code cache it wrote', async () => {
    const cache = cacheFileOf(path.join(outDir, BUNDLES_FOLDER, 'gateway.cjs'));
    await runGatewayOnce(outDir);
    const written = fs.statSync(cache).mtimeMs;
    await runGatewayOnce(outDir);
    expect(fs.statSync(cache).mtimeMs, 'a cache V8 accepted is not written again').toBe(written);
  }, 60_000);

  it('runs the simulators from their bundle, with no database', async () => {
    await runBundleOnce(outDir, 'simulators', 'SIMULATORS_PORT', { status: 'ok', service: 'simulators', seed: 42 });
  }, 60_000);

  it('refuses an unknown process with the list of the known ones', async () => {
    const child = spawn(process.execPath, [path.join(outDir, BUNDLE_RUNNER), 'nope'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(stderr).toMatch(/Usage: .*<.*gateway.*tenancy-worker.*>/);
  });
});

/** Starts `node <dist>/run.cjs gateway` on a free port, waits for /healthz, stops it with SIGTERM. */
const runGatewayOnce = (outDir: string) => runBundleOnce(outDir, 'gateway', 'GATEWAY_PORT', { status: 'ok', service: 'gateway' });

/** Starts `node <dist>/run.cjs <name>` with its port variable on a free port, waits for /healthz to answer `health`, stops it with SIGTERM. */
async function runBundleOnce(outDir: string, name: string, portVariable: string, health: unknown): Promise<void> {
  const port = await new Promise<number>((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port: free } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(free));
    });
  });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'caregraph-gw-'));
  const child = spawn(process.execPath, [path.join(outDir, BUNDLE_RUNNER), name], {
    env: { ...process.env, [portVariable]: String(port), CAREGRAPH_DATA_DIR: dataDir, LOG_LEVEL: 'silent' },
    stdio: 'ignore',
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  try {
    const deadline = Date.now() + 30_000;
    let body: unknown;
    while (Date.now() < deadline && body === undefined) {
      try {
        body = await (await fetch(`http://127.0.0.1:${port}/healthz`)).json();
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    expect(body).toEqual(health);
    // The cache is written once the process reports it is up.
    await expect.poll(() => fs.existsSync(cacheFileOf(path.join(outDir, BUNDLES_FOLDER, `${name}.cjs`)))).toBe(true);
  } finally {
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

describe('rewriteModuleUrl', () => {
  it('replaces the expression and leaves quoted mentions alone', () => {
    const source = [
      "const here = path.dirname(fileURLToPath(import.meta.url));",
      "const defined = { 'import.meta.url': 'x' };",
      '// finds its files from `import.meta.url`',
      'const also = import.meta.url.length;',
    ].join('\n');
    expect(rewriteModuleUrl(source, 'lib/a.js').split('\n')).toEqual([
      'const here = path.dirname(fileURLToPath(__caregraphModuleUrl("lib/a.js")));',
      "const defined = { 'import.meta.url': 'x' };",
      '// finds its files from `import.meta.url`',
      'const also = __caregraphModuleUrl("lib/a.js").length;',
    ]);
  });
});
