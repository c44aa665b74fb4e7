/**
 * Which names resolve inside the served folder, and the content types; the routes themselves
 * are tested through the HTTP front in apollo-http.test.ts.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { contentTypeOf, resolveInside } from './static-files.js';

const folder = path.resolve('/srv/explorer/assets');

describe('resolveInside', () => {
  it('resolves plain names and sub-folders inside the folder', () => {
    expect(resolveInside(folder, 'main-AB12.js')).toBe(path.join(folder, 'main-AB12.js'));
    expect(resolveInside(folder, 'fonts/codicon-1.ttf')).toBe(path.join(folder, 'fonts', 'codicon-1.ttf'));
    expect(resolveInside(folder, 'with%20space.css')).toBe(path.join(folder, 'with space.css'));
  });

  it.each([
    ['a parent segment', '../secret'],
    ['an encoded parent segment', '%2e%2e/secret'],
    ['an encoded slash', '..%2fsecret'],
    ['an encoded backslash', '..%5csecret'],
    ['an absolute path', '%2fetc%2fpasswd'],
    ['an empty segment', 'a//b.js'],
    ['a dot segment', './main.js'],
    ['a hidden file', '.build-stamp'],
    ['a hidden folder', 'sub/.git/config'],
    ['a NUL byte', 'main.js%00.png'],
    ['malformed encoding', '%E0%A4%A'],
    ['nothing', ''],
  ])('refuses %s', (_what, relative) => {
    expect(resolveInside(folder, relative)).toBeNull();
  });
});

describe('contentTypeOf', () => {
  it('names the types a front-end build holds, and bytes for anything else', () => {
    expect(contentTypeOf('index.html')).toBe('text/html; charset=utf-8');
    expect(contentTypeOf('main-X.JS')).toBe('text/javascript; charset=utf-8');
    expect(contentTypeOf('main-X.css')).toBe('text/css; charset=utf-8');
    expect(contentTypeOf('codicon-X.ttf')).toBe('font/ttf');
    expect(contentTypeOf('archive.tar')).toBe('application/octet-stream');
  });
});
