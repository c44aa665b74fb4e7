/**
 * The explorer's routes on the gateway:
 *
 *   GET  /graphiql                 the page, under a Content-Security-Policy that allows
 *                                  nothing but the gateway itself
 *   GET  /graphiql/assets/<file>   its bundled assets (content-hashed names: cached a year)
 *   GET  /graphiql/explorer.json   the personas on offer and the saved examples
 *   POST /dev/persona-token        development only (persona-token.ts)
 *
 * The page holds no data and no credential: it calls /graphql like any client, with what the
 * person signs in with, so it shows exactly what that principal may see. The assets come from
 * `dist/explorer/` in a build, and are built on first use when the gateway runs from source
 * (build.ts, `explorerFolder`): the first GET of the page then takes a few seconds.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { DevIssuer } from '../../lib/auth/dev-issuer.js';
import type { Config } from '../../lib/config.js';
import { MethodNotAllowedError } from '../../lib/errors.js';
import type { PlainRoute } from '../../lib/http/apollo-http.js';
import { IMMUTABLE, REVALIDATE, staticFiles } from '../../lib/http/static-files.js';
import type { ExplorerConfig } from './app/session.js';
import { ASSETS_URL, explorerFolder } from './build.js';
import { readExamples } from './examples.js';
import { offersPersonaTokens, PERSONA_TOKEN_PATH, PERSONAS, personaTokenRoute } from './persona-token.js';

export const EXPLORER_PATH = '/graphiql';

/**
 * The page may load and call nothing but the gateway. What GraphiQL needs beyond `'self'`
 * (test/browser/explorer.browser.test.ts fails on any violation): inline styles (monaco and
 * GraphiQL's panes set `style` attributes and add `<style>` elements), and `data:` fonts and
 * images (GraphiQL's CSS inlines its fonts and monaco's icon font; the page's empty favicon).
 * Workers are the gateway's own scripts (app/workers.ts): no `blob:`. No `unsafe-eval`, no
 * inline scripts.
 */
export const EXPLORER_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "font-src 'self' data:",
  "img-src 'self' data:",
  "worker-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': EXPLORER_CSP,
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
};

export interface ExplorerRoutesOptions {
  config: Pick<Config, 'env' | 'auth' | 'dataDir'>;
  /** The development issuer, when the gateway runs one: persona tokens need it. */
  devIssuer?: Pick<DevIssuer, 'mint'>;
  /** The built explorer folder; by default `explorerFolder(config.dataDir)`. */
  folder?: () => Promise<string>;
}

/** Resolves `load` once; a failure is not kept, so the next call tries again. */
function once<T>(load: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= load().catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
}

/** The explorer's routes, to spread into the gateway's. */
export function explorerRoutes(options: ExplorerRoutesOptions): Record<string, PlainRoute> {
  const { config, devIssuer } = options;
  const folder = once(options.folder ?? (() => explorerFolder(config.dataDir)));
  const personas = devIssuer && offersPersonaTokens(config) ? personaTokenRoute(config, devIssuer) : undefined;
  const settings = once(async (): Promise<ExplorerConfig> => ({
    personas: personas ? PERSONAS.map(({ id, label }) => ({ id, label })) : [],
    examples: readExamples(),
  }));
  const getOnly = (pathname: string, answer: PlainRoute): PlainRoute => async (req, body) => {
    if (req.method !== 'GET') throw new MethodNotAllowedError(`${pathname} takes GET`);
    return answer(req, body);
  };
  return {
    [EXPLORER_PATH]: getOnly(EXPLORER_PATH, async () => ({
      status: 200,
      body: await fs.promises.readFile(path.join(await folder(), 'index.html')),
      headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': REVALIDATE, 'x-content-type-options': 'nosniff', ...PAGE_HEADERS },
    })),
    [`${ASSETS_URL}/*`]: staticFiles({
      prefix: ASSETS_URL,
      folder: async () => path.join(await folder(), 'assets'),
      // Every asset's name carries a hash of its content: a new build has new names.
      cacheControl: () => IMMUTABLE,
    }),
    [`${EXPLORER_PATH}/explorer.json`]: getOnly(`${EXPLORER_PATH}/explorer.json`, async () => ({
      status: 200,
      body: await settings(),
      headers: { 'cache-control': REVALIDATE },
    })),
    ...(personas ? { [PERSONA_TOKEN_PATH]: personas } : {}),
  };
}
