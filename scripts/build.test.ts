import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build, isBuildStale, PROJECT_ROOT, projectRootFrom } from './build.js';

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
    const result = await build({ root });
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
    await build({ root });
    expect(isBuildStale({ root })).toBe(false);
    touch('schema/supergraph.graphql');
    expect(isBuildStale({ root })).toBe(true);
    await build({ root });
    expect(isBuildStale({ root })).toBe(false);
    write('lib/new.ts', 'export {};\n');
    expect(isBuildStale({ root })).toBe(true);
    await build({ root });
    fs.rmSync(path.join(root, 'lib', 'new.ts'));
    expect(isBuildStale({ root }), 'a removed file changes its folder').toBe(true);
  });

  it('finds the project root from dist/, which holds no package.json', () => {
    expect(projectRootFrom(path.join(PROJECT_ROOT, 'dist', 'scripts'))).toBe(PROJECT_ROOT);
    expect(fs.existsSync(path.join(PROJECT_ROOT, 'package.json'))).toBe(true);
  });
});
