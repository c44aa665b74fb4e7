/**
 * Bundles the explorer page (GraphiQL 5 with the explorer plugin, React 19, monaco) into a
 * folder of static files with esbuild, so the page needs nothing from outside the gateway:
 *
 *   <out>/index.html         the page (index.html here, with the hashed asset names filled in)
 *   <out>/assets/…           the app (ES modules, code-split: prettier loads when used), its
 *                            CSS (GraphiQL's fonts are inlined in it as data: URLs), and the
 *                            three monaco workers (editor, JSON, GraphQL) as classic scripts
 *   <out>/build.json         what was built; present only once the build is complete
 *
 * Every asset name carries a hash of its content, so the gateway lets browsers cache them for
 * a year; index.html is revalidated. `npm run build` (and so `npm start`) writes the folder to
 * `dist/explorer/`; a gateway running from source builds it on first use into its data folder
 * (`explorerFolder`), keyed by a hash of the sources and package versions that go into it.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as Esbuild from 'esbuild';
import { runtimeImport } from '../../lib/runtime-import.js';

/** This folder: the page template, the app sources, the examples. */
export const EXPLORER_SOURCE = path.dirname(fileURLToPath(import.meta.url));
/** The root of the tree this module runs from: the project, or `dist/` in a build. */
const CODE_ROOT = path.resolve(EXPLORER_SOURCE, '..', '..');
/** Written last: a folder without it is a build that did not finish. */
export const BUILD_MANIFEST = 'build.json';
/** Where index.html finds the assets, as the gateway serves them (gateway/explorer/routes.ts). */
export const ASSETS_URL = '/graphiql/assets';
const ASSETS_FOLDER = 'assets';

/** The monaco workers GraphiQL asks for, by the label monaco gives them (app/workers.ts). */
const WORKERS: Readonly<Record<string, string>> = {
  editor: 'monaco-editor/esm/vs/editor/editor.worker.js',
  json: 'monaco-editor/esm/vs/language/json/json.worker.js',
  graphql: 'monaco-graphql/esm/graphql.worker.js',
};
/** Packages whose version changes what is built (the on-demand cache is keyed by them). */
const BUNDLED_PACKAGES = ['graphiql', '@graphiql/react', '@graphiql/plugin-explorer', 'monaco-editor', 'monaco-graphql', 'react', 'react-dom', 'esbuild'];

export interface ExplorerManifest {
  builtAt: string;
  /** Asset file names (inside assets/) and their sizes in bytes. */
  assets: Record<string, number>;
}

/**
 * Output files of the entry points of a build, relative to `outDir`, by entry name and
 * extension (`main.js`, and `main.css` for the CSS the entry imports).
 */
function entryOutputs(metafile: Esbuild.Metafile, root: string, outDir: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const add = (file: string) => {
    const name = path.basename(file);
    outputs[`${name.slice(0, name.lastIndexOf('-'))}${path.extname(name)}`] = path.relative(outDir, path.resolve(root, file));
  };
  for (const [file, output] of Object.entries(metafile.outputs)) {
    if (!output.entryPoint) continue;
    add(file);
    if (output.cssBundle) add(output.cssBundle);
  }
  return outputs;
}

/**
 * GraphiQL's style.css already holds monaco's CSS (and its icon font, inlined). monaco's own
 * CSS imports, in the modules GraphiQL loads lazily, would become CSS chunks that nothing
 * loads (esbuild loads no CSS for a dynamic import): they are left out.
 */
const MONACO_CSS_IN_GRAPHIQL: Esbuild.Plugin = {
  name: 'monaco-css-in-graphiql',
  setup(build) {
    build.onLoad({ filter: /[\\/]monaco-editor[\\/].*\.css$/ }, () => ({ contents: '', loader: 'css' }));
  },
};

/**
 * Builds the explorer of the project at `root` (its gateway/explorer/ sources and its
 * node_modules) into `outDir`, replacing whatever is there; `build.json` is written last, so
 * a folder that has it holds a complete build. Callers build into a folder of their own and
 * move it into place (scripts/build.ts's staging folder, `explorerFolder` below). `root` is
 * this module's tree by default; the launcher, which runs from dist/, passes the project's.
 */
export async function buildExplorer(outDir: string, root: string = CODE_ROOT): Promise<ExplorerManifest> {
  const esbuild = await runtimeImport<typeof Esbuild>('esbuild');
  const source = path.join(root, 'gateway', 'explorer');
  const assets = path.join(outDir, ASSETS_FOLDER);
  fs.rmSync(outDir, { recursive: true, force: true });
  const common = {
    absWorkingDir: root,
    bundle: true,
    minify: true,
    outdir: assets,
    entryNames: '[name]-[hash]',
    assetNames: '[name]-[hash]',
    chunkNames: 'chunk-[hash]',
    target: 'es2022',
    metafile: true,
    legalComments: 'linked',
    logLevel: 'warning',
    define: { 'process.env.NODE_ENV': '"production"' },
  } satisfies Esbuild.BuildOptions;
  // Classic scripts, so `new Worker(url)` needs no module-worker support.
  const workers = await esbuild.build({ ...common, entryPoints: WORKERS, format: 'iife' });
  const workerFiles = entryOutputs(workers.metafile, root, assets);
  const workerUrls = Object.fromEntries(Object.keys(WORKERS).map((label) => [label, `${ASSETS_URL}/${workerFiles[`${label}.js`]}`]));
  const app = await esbuild.build({
    ...common,
    entryPoints: { main: path.join(source, 'app', 'main.tsx') },
    format: 'esm',
    splitting: true,
    jsx: 'automatic',
    loader: { '.ttf': 'file', '.woff': 'file', '.woff2': 'file', '.svg': 'file' },
    define: { ...common.define, __EXPLORER_WORKERS__: JSON.stringify(workerUrls) },
    plugins: [MONACO_CSS_IN_GRAPHIQL],
  });
  const appFiles = entryOutputs(app.metafile, root, assets);
  // The CSS chunks of lazily loaded modules whose CSS was left out (see MONACO_CSS_IN_GRAPHIQL) are empty.
  for (const file of fs.readdirSync(assets)) if (file.endsWith('.css') && fs.statSync(path.join(assets, file)).size === 0) fs.rmSync(path.join(assets, file));
  const template = fs.readFileSync(path.join(source, 'index.html'), 'utf8');
  fs.writeFileSync(path.join(outDir, 'index.html'), renderPage(template, `${ASSETS_URL}/${appFiles['main.js']}`, `${ASSETS_URL}/${appFiles['main.css']}`));
  const manifest: ExplorerManifest = {
    builtAt: new Date().toISOString(),
    assets: Object.fromEntries(fs.readdirSync(assets).map((file) => [file, fs.statSync(path.join(assets, file)).size])),
  };
  fs.writeFileSync(path.join(outDir, BUILD_MANIFEST), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}

/** The page: the template with its `<!-- assets -->` marker replaced by the stylesheet and the app. */
export function renderPage(template: string, script: string, stylesheet: string): string {
  if (!template.includes('<!-- assets -->')) throw new Error('index.html has no <!-- assets --> marker');
  const tags = `<link rel="stylesheet" href="${stylesheet}" />\n    <script type="module" src="${script}"></script>`;
  return template.replace('<!-- assets -->', tags);
}

/** Whether `folder` holds a complete build. */
export function isExplorerBuilt(folder: string): boolean {
  return fs.existsSync(path.join(folder, BUILD_MANIFEST));
}

/** A hash of everything that goes into a build: the app sources, this file, and the bundled packages' versions. */
export function explorerSourceHash(): string {
  const hash = createHash('sha256');
  const files = [path.join(EXPLORER_SOURCE, 'index.html'), fileURLToPath(import.meta.url)];
  const walk = (folder: string) => {
    for (const entry of fs.readdirSync(folder, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const child = path.join(folder, entry.name);
      if (entry.isDirectory()) walk(child);
      else if (!entry.name.endsWith('.test.ts')) files.push(child);
    }
  };
  walk(path.join(EXPLORER_SOURCE, 'app'));
  for (const file of files) hash.update(`${path.relative(EXPLORER_SOURCE, file)}\0`).update(fs.readFileSync(file)).update('\0');
  const require = createRequire(path.join(CODE_ROOT, 'package.json'));
  for (const name of BUNDLED_PACKAGES) hash.update(`${name}@${(require(`${name}/package.json`) as { version: string }).version}\0`);
  return hash.digest('hex').slice(0, 16);
}

/**
 * The folder to serve the explorer from: the build beside the running code (`dist/explorer`,
 * written by `npm run build`) when there is one, else a build made now, once, into
 * `<dataDir>/explorer/<source hash>` and reused while the sources stay the same (a gateway run
 * from source: tests, `npm run service`). Older builds there are removed.
 */
export async function explorerFolder(dataDir: string, prebuilt = path.join(CODE_ROOT, 'explorer')): Promise<string> {
  if (isExplorerBuilt(prebuilt)) return prebuilt;
  const cache = path.join(dataDir, 'explorer');
  const folder = path.join(cache, explorerSourceHash());
  if (isExplorerBuilt(folder)) return folder;
  const staging = `${folder}.${process.pid}.tmp`;
  try {
    await buildExplorer(staging);
    try {
      fs.renameSync(staging, folder);
    } catch (error) {
      // Another process (a second gateway of the same test run) moved its build in first.
      if (!isExplorerBuilt(folder)) throw error;
    }
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
  for (const entry of fs.readdirSync(cache)) {
    if (entry !== path.basename(folder) && !entry.endsWith('.tmp')) fs.rmSync(path.join(cache, entry), { recursive: true, force: true });
  }
  return folder;
}
