/**
 * The explorer build, for real (a few seconds of esbuild): a page that names only its own
 * hashed assets, the three monaco workers, CSS whose every `url()` is inlined, and a
 * manifest written last; and the on-demand folder, built once per source hash and reused.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ASSETS_URL, BUILD_MANIFEST, buildExplorer, explorerFolder, explorerSourceHash, isExplorerBuilt, renderPage, type ExplorerManifest } from './build.js';

let root: string;
let built: string;
let manifest: ExplorerManifest;

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'caregraph-explorer-build-'));
  built = path.join(root, 'explorer');
  manifest = await buildExplorer(built);
}, 120_000);
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const assets = () => fs.readdirSync(path.join(built, 'assets'));

describe('buildExplorer', () => {
  it('writes a page that loads its stylesheet and app from the gateway, and nothing else', () => {
    const page = fs.readFileSync(path.join(built, 'index.html'), 'utf8');
    const referenced = [...page.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]!);
    expect(referenced).toEqual(['data:,', expect.stringMatching(/^\/graphiql\/assets\/main-\w+\.css$/), expect.stringMatching(/^\/graphiql\/assets\/main-\w+\.js$/)]);
    for (const url of referenced.slice(1)) expect(assets()).toContain(url.slice(ASSETS_URL.length + 1));
  });

  it('bundles the three monaco workers, and the app knows where they are', () => {
    for (const worker of ['editor', 'json', 'graphql']) expect(assets().some((file) => new RegExp(`^${worker}-\\w+\\.js$`).test(file)), worker).toBe(true);
    const graphqlWorker = assets().find((file) => /^graphql-\w+\.js$/.test(file))!;
    const scripts = assets().filter((file) => file.endsWith('.js') && file !== graphqlWorker);
    const naming = scripts.filter((file) => fs.readFileSync(path.join(built, 'assets', file), 'utf8').includes(`"${ASSETS_URL}/${graphqlWorker}"`));
    expect(naming, 'a script of the app names the GraphQL worker').toHaveLength(1);
  });

  it('inlines every url() of its CSS: no font or image is fetched from anywhere', () => {
    for (const file of assets().filter((name) => name.endsWith('.css'))) {
      const css = fs.readFileSync(path.join(built, 'assets', file), 'utf8');
      const urls = [...css.matchAll(/url\(\s*["']?([^"')\s]+)/g)].map((match) => match[1]!);
      expect(urls.filter((url) => !url.startsWith('data:')), file).toEqual([]);
      expect(css, file).not.toMatch(/@import/);
    }
  });

  it('names every asset by a hash of its content, and lists them in the manifest', () => {
    expect(isExplorerBuilt(built)).toBe(true);
    expect(Object.keys(manifest.assets).sort()).toEqual(assets().sort());
    for (const file of assets()) expect(file, file).toMatch(/-[A-Z0-9]{8}\.(js|css)(\.LEGAL\.txt)?$/);
  });
});

describe('explorerFolder', () => {
  it('prefers a complete build beside the code', async () => {
    expect(await explorerFolder(path.join(root, 'data'), built)).toBe(built);
  });

  it('otherwise builds once into the data folder under the source hash, and reuses it', async () => {
    const dataDir = path.join(root, 'data');
    const folder = await explorerFolder(dataDir, path.join(root, 'no-build'));
    expect(folder).toBe(path.join(dataDir, 'explorer', explorerSourceHash()));
    const first = fs.statSync(path.join(folder, BUILD_MANIFEST)).mtimeMs;
    expect(await explorerFolder(dataDir, path.join(root, 'no-build'))).toBe(folder);
    expect(fs.statSync(path.join(folder, BUILD_MANIFEST)).mtimeMs).toBe(first);
    expect(fs.readdirSync(path.join(dataDir, 'explorer'))).toEqual([path.basename(folder)]);
  }, 120_000);
});

describe('renderPage', () => {
  it('fills in the assets at the marker, and refuses a template without one', () => {
    expect(renderPage('<head><!-- assets --></head>', '/a.js', '/a.css')).toBe('<head><link rel="stylesheet" href="/a.css" />\n    <script type="module" src="/a.js"></script></head>');
    expect(() => renderPage('<head></head>', '/a.js', '/a.css')).toThrow(/marker/);
  });
});
