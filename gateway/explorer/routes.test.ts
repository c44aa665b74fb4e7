/**
 * The explorer's routes over a built folder of the test's own: the page under its
 * Content-Security-Policy and revalidated, hashed assets cached a year, the settings (personas
 * only with the development issuer), GET only, and no persona route in production.
 */
import fs from 'node:fs';
import type http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DevIssuer } from '../../lib/auth/dev-issuer.js';
import { loadConfig, type Config } from '../../lib/config.js';
import { CareGraphError } from '../../lib/errors.js';
import { routeFor } from '../../lib/http/apollo-http.js';
import { IMMUTABLE } from '../../lib/http/static-files.js';
import { readExamples } from './examples.js';
import { EXPLORER_CSP, explorerRoutes } from './routes.js';

let folder: string;
let config: Config;
const issuer: Pick<DevIssuer, 'mint'> = { mint: async () => 'token' };

beforeAll(() => {
  folder = fs.mkdtempSync(path.join(os.tmpdir(), 'caregraph-explorer-'));
  fs.mkdirSync(path.join(folder, 'assets'));
  fs.writeFileSync(path.join(folder, 'index.html'), '<!doctype html><title>explorer</title>');
  fs.writeFileSync(path.join(folder, 'assets', 'main-AB12CD34.js'), 'export {};');
  config = loadConfig({ CAREGRAPH_DATA_DIR: folder });
});
afterAll(() => fs.rmSync(folder, { recursive: true, force: true }));

const get = (url: string, method = 'GET') => ({ method, url, socket: { remoteAddress: '127.0.0.1' } }) as unknown as http.IncomingMessage;
/** The routes with the test's folder; `devIssuer: null` for a gateway without the development issuer. */
const routesOf = (overrides: Partial<Config> = {}, devIssuer: Pick<DevIssuer, 'mint'> | null = issuer) =>
  explorerRoutes({ config: { ...config, ...overrides }, devIssuer: devIssuer ?? undefined, folder: async () => folder });

async function answer(routes: ReturnType<typeof routesOf>, url: string, method = 'GET') {
  const route = routeFor(routes, new URL(url, 'http://localhost').pathname);
  if (!route) throw new Error(`no route for ${url}`);
  return route(get(url, method));
}

describe('explorerRoutes', () => {
  it('serves the page revalidated, under a policy that allows nothing but the gateway', async () => {
    const page = await answer(routesOf(), '/graphiql');
    expect(Buffer.from(page.body as Uint8Array).toString('utf8')).toBe('<!doctype html><title>explorer</title>');
    expect(page.headers).toMatchObject({
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-cache',
      'content-security-policy': EXPLORER_CSP,
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
    });
    expect(EXPLORER_CSP).toMatch(/^default-src 'self'; script-src 'self';/);
    expect(EXPLORER_CSP).not.toMatch(/unsafe-eval|https?:|\*/);
  });

  it('serves hashed assets cached for a year, and 404 for anything else', async () => {
    const script = await answer(routesOf(), '/graphiql/assets/main-AB12CD34.js');
    expect(script.headers).toMatchObject({ 'content-type': 'text/javascript; charset=utf-8', 'cache-control': IMMUTABLE });
    const missing = await answer(routesOf(), '/graphiql/assets/..%2findex.html').catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(CareGraphError);
    expect((missing as CareGraphError).code).toBe('NOT_FOUND');
  });

  it('tells the page the personas and examples, personas only with the development issuer', async () => {
    const dev = await answer(routesOf(), '/graphiql/explorer.json');
    expect(dev.body).toMatchObject({ personas: expect.arrayContaining([{ id: 'analyst', label: 'Analyst' }]), examples: readExamples() });
    expect((await answer(routesOf({}, null), '/graphiql/explorer.json')).body).toMatchObject({ personas: [] });
  });

  it('has the persona route in development and never in production', () => {
    expect(routesOf()['/dev/persona-token']).toBeDefined();
    expect(routesOf({ env: 'production' })['/dev/persona-token']).toBeUndefined();
    expect(routesOf({ auth: { mode: 'jwks', jwksUrl: 'https://idp.example/jwks', issuer: 'i', audience: 'a' } })['/dev/persona-token']).toBeUndefined();
  });

  it('answers the page and its settings to GET only', async () => {
    for (const url of ['/graphiql', '/graphiql/explorer.json', '/graphiql/assets/main-AB12CD34.js']) {
      const refused = await answer(routesOf(), url, 'POST').catch((error: unknown) => error);
      expect((refused as CareGraphError).code, url).toBe('METHOD_NOT_ALLOWED');
    }
  });

  it('tries the build again after it failed', async () => {
    let calls = 0;
    const routes = explorerRoutes({
      config,
      folder: async () => {
        calls += 1;
        if (calls === 1) throw new Error('esbuild failed');
        return folder;
      },
    });
    await expect(answer(routes, '/graphiql')).rejects.toThrow('esbuild failed');
    expect((await answer(routes, '/graphiql')).status).toBe(200);
  });
});
