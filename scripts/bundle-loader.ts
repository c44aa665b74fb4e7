/**
 * `node dist/run.cjs <name>`: runs one process of the registry from its compiled bundle
 * (`dist/bundles/<name>.cjs`, see build.ts), as `npm start` and a deployment do, or (`start`)
 * `npm start`'s launcher.
 *
 * Why a loader of our own: a service's bundle is several megabytes of JavaScript, and parsing
 * and compiling it is most of what a process does before it listens. Node 20 caches no
 * compiled code between runs, but V8 can: the bundle is compiled through `vm.Script` with the
 * code cache the previous run left beside it (`<bundle>.cache`), and when there was none, or it
 * was for other code, a new one is written once the process reports it is up (`READY_HOOK`),
 * so that it holds every function the start compiled. A cache that cannot be written (a
 * read-only install) costs the next start its speed, nothing else.
 *
 * V8 rejects a cache made by another V8 version or with other flags, but it recognises the
 * source by its length only: a rebuilt bundle of the same length would run the old bundle's
 * compiled code. So the cache starts with a digest of the bundle it was made from, and one for
 * other contents is never handed to V8.
 *
 * This file is bundled on its own and must import nothing but Node's built-ins.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import vm from 'node:vm';

/** The global a process calls once it serves (scripts/service-process.ts); shared by symbol, not by import. */
const READY_HOOK = Symbol.for('caregraph.process.ready');
/** Where the bundle finds an `import()` that works (lib/runtime-import.ts); shared by symbol too. */
const RUNTIME_IMPORT = Symbol.for('caregraph.runtime-import');

export interface LoadedBundle {
  /** Whether V8 compiled the bundle from a code cache it accepted. */
  fromCache: boolean;
  /** Writes the code cache when there was none or it was rejected; resolves with whether it wrote. */
  saveCache(): boolean;
}

/** The code cache of a bundle file. */
export const cacheFileOf = (bundle: string): string => `${bundle}.cache`;

/** A cache key, not a signature: whoever can write the cache can write the bundle beside it. */
const digestOf = (source: Buffer): Buffer => createHash('sha1').update(source).digest();
const DIGEST_BYTES = 20;

/**
 * Runs a CommonJS bundle in this process as `require` would (its own `module`, `require`
 * resolving from its folder), compiled from its code cache when there is a valid one.
 */
export function loadBundle(bundle: string): LoadedBundle {
  const file = path.resolve(bundle);
  // Code compiled from a V8 cache cannot import() by itself: it borrows this module's.
  (globalThis as { [RUNTIME_IMPORT]?: (specifier: string) => Promise<unknown> })[RUNTIME_IMPORT] ??= (specifier) => import(specifier);
  const bytes = fs.readFileSync(file);
  const digest = digestOf(bytes);
  let cachedData: Buffer | undefined;
  try {
    const cache = fs.readFileSync(cacheFileOf(file));
    if (cache.subarray(0, DIGEST_BYTES).equals(digest)) cachedData = cache.subarray(DIGEST_BYTES);
  } catch {
    // No cache yet: compiled from source, and a cache is written once the process is up.
  }
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${bytes.toString('utf8')}\n})`, {
    filename: file,
    cachedData,
    // Dynamic import() inside the bundle resolves as in any module of this process.
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const fromCache = cachedData !== undefined && !script.cachedDataRejected;
  const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
  const module = { exports: {}, filename: file, id: file, loaded: false };
  wrapper.call(module.exports, module.exports, createRequire(file), module, file, path.dirname(file));
  module.loaded = true;
  return {
    fromCache,
    saveCache() {
      if (fromCache) return false;
      const target = cacheFileOf(file);
      const staging = `${target}.${process.pid}.tmp`;
      try {
        fs.writeFileSync(staging, Buffer.concat([digest, script.createCachedData()]));
        // Renamed into place: a process starting meanwhile reads the old cache or the new, never half of one.
        fs.renameSync(staging, target);
        return true;
      } catch {
        fs.rmSync(staging, { force: true });
        return false;
      }
    },
  };
}

/**
 * Runs `bundles/<name>.cjs` beside this file and saves its code cache once the process is up;
 * exits with a usage line when there is no such bundle.
 */
export function runNamedBundle(name: string): void {
  const folder = path.join(__dirname, 'bundles');
  const bundle = path.join(folder, `${name}.cjs`);
  if (!/^[a-z][a-z0-9-]*$/.test(name) || !fs.existsSync(bundle)) {
    const names = fs.existsSync(folder) ? fs.readdirSync(folder).filter((file) => file.endsWith('.cjs')).map((file) => file.slice(0, -4)) : [];
    console.error(`Usage: node ${path.relative(process.cwd(), __filename)} <${names.join('|')}>`);
    process.exit(2);
  }
  const started: { bundle?: LoadedBundle } = {};
  (globalThis as { [READY_HOOK]?: () => void })[READY_HOOK] = () => started.bundle?.saveCache();
  started.bundle = loadBundle(bundle);
}

// As the entry of its own bundle (dist/run.cjs); scripts/launch.mjs and tests call in instead.
if (typeof require !== 'undefined' && require.main === module) runNamedBundle(process.argv[2] ?? '');
