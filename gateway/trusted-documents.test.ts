import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildManifest, documentId, MANIFEST_FILE, manifestText, TrustedDocuments } from '../lib/trusted-documents.js';
import { hashQuery } from './operation-check.js';
import { resolveDocument } from './trusted-documents.js';

describe('resolveDocument', () => {
  const COUNT = 'query Count { n }\n';
  let folder: string;
  let trusted: TrustedDocuments;
  beforeAll(() => {
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'caregraph-resolve-'));
    fs.writeFileSync(path.join(folder, 'count.graphql'), COUNT);
    fs.writeFileSync(path.join(folder, MANIFEST_FILE), manifestText(buildManifest(folder)));
    trusted = TrustedDocuments.load(folder);
  });
  afterAll(() => fs.rmSync(folder, { recursive: true, force: true }));

  it("gives the query's hash once, which is its document id's digest", () => {
    expect(documentId(COUNT)).toBe(`sha256:${hashQuery(COUNT)}`);
    expect(resolveDocument({ documentId: documentId(COUNT), variables: {} }, trusted, false)).toEqual({ body: { variables: {}, query: COUNT }, queryHash: hashQuery(COUNT) });
    expect(resolveDocument({ query: '{ n }' }, trusted, false)).toEqual({ body: { query: '{ n }' }, queryHash: hashQuery('{ n }') });
    const apq = resolveDocument({ extensions: { persistedQuery: { version: 1, sha256Hash: hashQuery(COUNT) }, other: 1 } }, trusted, false);
    expect(apq).toEqual({ body: { extensions: { other: 1 }, query: COUNT }, queryHash: hashQuery(COUNT) });
  });

  it('passes extensions that are not a map on untouched, for the server to refuse', () => {
    for (const extensions of [['persistedQuery'], 'text', 1, null]) {
      expect(resolveDocument({ query: '{ n }', extensions }, trusted, false)).toEqual({ body: { query: '{ n }', extensions }, queryHash: hashQuery('{ n }') });
    }
  });

  it('holds a safelist-only caller to the trusted documents, their exact text included', () => {
    expect(resolveDocument({ query: COUNT }, trusted, true)).toEqual({ body: { query: COUNT }, queryHash: hashQuery(COUNT) });
    for (const body of [{ query: '{ n }' }, {}, { documentId: documentId('{ n }'), query: '{ n }' }]) {
      const resolved = resolveDocument(body, trusted, true);
      expect('error' in resolved && resolved.error.code).toBe('OPERATION_NOT_TRUSTED');
    }
  });

  it('refuses an unknown, malformed or mismatched id', () => {
    const codeOf = (body: Record<string, unknown>) => {
      const resolved = resolveDocument(body, trusted, false);
      return 'error' in resolved ? resolved.error.code : undefined;
    };
    expect(codeOf({ documentId: documentId('{ n }') })).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect(codeOf({ documentId: 'md5:abc' })).toBe('BAD_USER_INPUT');
    expect(codeOf({ documentId: documentId(COUNT), query: '{ n }' })).toBe('BAD_USER_INPUT');
  });
});
