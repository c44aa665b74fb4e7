import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cacheFileOf } from './bundle-loader.js';

const LOADER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'bundle-loader.ts');

/**
 * Loads the bundle in a process of its own, as a service start does (within one process V8
 * serves a second compile of the same source from memory and never looks at the cache), and
 * reports what the bundle saw and whether V8 took the code cache.
 */
function loadInChild(bundle: string, save: boolean): { fromCache: boolean; saved: boolean; seen: Record<string, unknown> } {
  const script = `
    import { loadBundle } from ${JSON.stringify(LOADER)};
    const loaded = loadBundle(${JSON.stringify(bundle)});
    await new Promise((resolve) => setTimeout(resolve, 50));
    const saved = ${save} ? loaded.saveCache() : false;
    console.log(JSON.stringify({ fromCache: loaded.fromCache, saved, seen: globalThis.bundleResults }));`;
  const output = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
  return JSON.parse(output.trim().split('\n').at(-1)!) as never;
}

describe('loadBundle', () => {
  let folder: string;
  let bundle: string;
  const writeBundle = (version: number) =>
    fs.writeFileSync(
      bundle,
      // A bundle as esbuild writes one: CommonJS, requiring beside itself, and borrowing the
      // loader's import() the way lib/runtime-import.ts does.
      [
        `// version ${version}`,
        "const double = require('./helper.cjs');",
        'globalThis.bundleResults = { double: double(21), file: __filename, exportsIsModuleExports: exports === module.exports };',
        "globalThis[Symbol.for('caregraph.runtime-import')]('node:os').then((os) => { globalThis.bundleResults.imported = typeof os.platform; });",
      ].join('\n'),
    );

  beforeAll(() => {
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'caregraph-bundle-'));
    bundle = path.join(folder, 'sample.cjs');
    fs.writeFileSync(path.join(folder, 'helper.cjs'), 'module.exports = (n) => n * 2;\n');
    writeBundle(1);
  });
  afterAll(() => fs.rmSync(folder, { recursive: true, force: true }));

  it('runs a CommonJS bundle with its own module, require and file name, and can import()', () => {
    const first = loadInChild(bundle, false);
    expect(first.fromCache).toBe(false);
    expect(first.seen).toEqual({ double: 42, file: bundle, exportsIsModuleExports: true, imported: 'function' });
  });

  it('writes a code cache when it had none, compiles from it in the next process and leaves it alone', () => {
    expect(loadInChild(bundle, true)).toMatchObject({ fromCache: false, saved: true });
    const written = fs.statSync(cacheFileOf(bundle)).mtimeMs;

    const again = loadInChild(bundle, true);
    expect(again).toMatchObject({ fromCache: true, saved: false });
    // Code compiled from the cache still reaches import() through the loader's own.
    expect(again.seen).toMatchObject({ double: 42, imported: 'function' });
    expect(fs.statSync(cacheFileOf(bundle)).mtimeMs).toBe(written);
    expect(fs.readdirSync(folder).filter((file) => file.endsWith('.tmp'))).toEqual([]);
  });

  it('replaces a cache V8 rejects: a rebuilt bundle, or a file that is no cache at all', () => {
    writeBundle(2);
    expect(loadInChild(bundle, true)).toMatchObject({ fromCache: false, saved: true, seen: { double: 42 } });
    expect(loadInChild(bundle, false).fromCache).toBe(true);

    fs.writeFileSync(cacheFileOf(bundle), Buffer.from('not a code cache'));
    expect(loadInChild(bundle, true)).toMatchObject({ fromCache: false, saved: true, seen: { double: 42 } });
    expect(loadInChild(bundle, false).fromCache).toBe(true);
  });

  it('still runs when the cache cannot be written (a read-only install)', () => {
    fs.rmSync(cacheFileOf(bundle), { force: true });
    fs.mkdirSync(cacheFileOf(bundle));
    try {
      expect(loadInChild(bundle, true)).toMatchObject({ fromCache: false, saved: false, seen: { double: 42 } });
    } finally {
      fs.rmSync(cacheFileOf(bundle), { recursive: true, force: true });
    }
  });
});
