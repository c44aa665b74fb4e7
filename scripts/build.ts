/**
 * `npm run build`: compiles the services and scripts into `dist/` with esbuild — one
 * JavaScript file per TypeScript file, same folders, no bundling and no type checking
 * (`npm run typecheck` does that) — and copies beside them every other file the code reads at
 * run time (subgraph SDL, migrations, the supergraph, the policy spec and coverage). `dist/`
 * is then a tree that plain `node` runs exactly as tsx runs the source: code that finds its
 * files from `import.meta.url` finds them in either tree.
 *
 * `npm start` runs `--if-stale` first: a build only when a source file, or a folder (a file
 * added, renamed or removed), changed after the last build began. Tests and benchmarks run
 * from source and never need a build.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as Esbuild from 'esbuild';

/** What goes into dist/: the code the platform runs and the files it reads. */
const SOURCE_FOLDERS = ['gateway', 'lib', 'subgraphs', 'scripts', 'schema'];
/** Tests, declarations and docs stay behind. */
const LEFT_OUT = /(\.test\.ts|\.d\.ts|\.md)$/;
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
  const esbuild = await import('esbuild');
  const sources = sourcesOf(root);
  fs.rmSync(staging, { recursive: true, force: true });
  try {
    await compileInto(esbuild, root, staging, sources);
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

/** Builds when `isBuildStale`; resolves with whether it built. */
export async function buildIfStale(options: BuildOptions = {}): Promise<boolean> {
  if (!isBuildStale(options)) return false;
  await build(options);
  return true;
}

async function main(): Promise<void> {
  const ifStale = process.argv.includes('--if-stale');
  if (ifStale && !isBuildStale()) return;
  const result = await build();
  console.log(`[build] ${result.compiled} files compiled, ${result.copied} copied into ${path.relative(process.cwd(), BUILD_DIR) || '.'} in ${result.ms} ms`);
}

if (process.argv[1] && path.resolve(process.argv[1]).replace(/\.ts$/, '.js') === fileURLToPath(import.meta.url).replace(/\.ts$/, '.js')) {
  main().catch((error: unknown) => {
    console.error(`[build] failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
