/**
 * Files from one folder as a route of the HTTP front (apollo-http.ts), for the gateway's
 * explorer page and its bundled assets. Only regular files inside the folder are served: the
 * part of the path after the route's prefix is decoded once and refused when any segment is
 * empty, `.` or `..`, hidden, or holds a backslash or NUL, and the resolved file (symbolic
 * links followed) must still lie inside the folder. Anything else is 404 NOT_FOUND, so a
 * probe learns nothing about what lies outside.
 */
import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { MethodNotAllowedError, NotFoundError } from '../errors.js';
import type { PlainRoute, RouteAnswer } from './apollo-http.js';

/** Content types of the files a front-end build holds; anything else is sent as bytes. */
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.ttf': 'font/ttf',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
};

/** A year, and never revalidated: for files whose name carries a hash of their content. */
export const IMMUTABLE = 'public, max-age=31536000, immutable';
/** Revalidated on every use: for files whose name stays while their content changes. */
export const REVALIDATE = 'no-cache';

export interface StaticFilesOptions {
  /** The path the files are served under, e.g. `/graphiql/assets` (register the route at `<prefix>/*`). */
  prefix: string;
  /** The folder, or how to get it (built on first use, say). */
  folder: string | (() => Promise<string>);
  /** The cache-control header of a file, by its name. */
  cacheControl: (file: string) => string;
  /** Headers added to every file answered (security headers, say). */
  headers?: Record<string, string>;
}

/** The content type of a file, by its extension. */
export function contentTypeOf(file: string): string {
  return CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * The file `relative` (still URL-encoded, `/`-separated) names inside `folder`, or null when it
 * names nothing that may be served. Pure: it checks the name, not the disk.
 */
export function resolveInside(folder: string, relative: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(relative);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const segments = decoded.split('/');
  // Empty, `.` and `..` segments, and hidden files (`.env`, `.build-stamp`), are never served.
  if (segments.some((segment) => segment === '' || segment.startsWith('.'))) return null;
  const root = path.resolve(folder);
  const file = path.resolve(root, ...segments);
  return file.startsWith(root + path.sep) ? file : null;
}

/** Reads `file` when it is a regular file whose real path lies inside `folder`'s; null otherwise. */
async function readInside(folder: string, file: string): Promise<Buffer | null> {
  try {
    const [realFolder, realFile] = await Promise.all([fs.promises.realpath(folder), fs.promises.realpath(file)]);
    if (!realFile.startsWith(realFolder + path.sep)) return null;
    const stat = await fs.promises.stat(realFile);
    return stat.isFile() ? await fs.promises.readFile(realFile) : null;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return null;
    throw error;
  }
}

/** The answer for one file of a folder, with its content type and the given headers. */
export async function fileAnswer(folder: string, file: string, headers: Record<string, string>): Promise<RouteAnswer | null> {
  const bytes = await readInside(folder, file);
  if (!bytes) return null;
  return { status: 200, body: bytes, headers: { 'content-type': contentTypeOf(file), 'x-content-type-options': 'nosniff', ...headers } };
}

/** A route (register it at `<prefix>/*`) answering GET with the folder's files. */
export function staticFiles(options: StaticFilesOptions): PlainRoute {
  const folderOf = typeof options.folder === 'string' ? async () => options.folder as string : options.folder;
  return async (req: http.IncomingMessage) => {
    if (req.method !== 'GET') throw new MethodNotAllowedError(`${options.prefix} takes GET`);
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    const missing = new NotFoundError(`No route ${pathname}`);
    if (!pathname.startsWith(`${options.prefix}/`)) throw missing;
    const relative = pathname.slice(options.prefix.length + 1);
    const folder = await folderOf();
    const file = resolveInside(folder, relative);
    const answer = file && (await fileAnswer(folder, file, { 'cache-control': options.cacheControl(relative), ...options.headers }));
    if (!answer) throw missing;
    return answer;
  };
}
