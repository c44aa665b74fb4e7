import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildSchema } from 'graphql';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildManifest, documentId, MANIFEST_FILE, manifestText, readTrustedDocuments, TrustedDocuments } from './trusted-documents.js';

describe('trusted documents', () => {
  let folder: string;
  const schema = buildSchema('type Query { hello(name: String): String, n: Int }');
  const write = (file: string, text: string) => fs.writeFileSync(path.join(folder, file), text);
  beforeEach(() => {
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'caregraph-operations-'));
  });
  afterEach(() => fs.rmSync(folder, { recursive: true, force: true }));

  it('names a document by the SHA-256 of its exact text', () => {
    const body = 'query Hello { hello }\n';
    expect(documentId(body)).toBe(`sha256:${createHash('sha256').update(body).digest('hex')}`);
    expect(documentId(body)).not.toBe(documentId('query Hello { hello }'));
  });

  it('builds the manifest of a folder, and loads it back checked against each file', () => {
    write('hello.graphql', 'query Hello($name: String) { hello(name: $name) }\n');
    write('count.graphql', 'query Count { n }\n');
    write('README.md', 'not a document');
    const manifest = buildManifest(folder, schema);
    expect(Object.values(manifest.operations)).toEqual([
      { name: 'Count', file: 'count.graphql' },
      { name: 'Hello', file: 'hello.graphql' },
    ]);
    write(MANIFEST_FILE, manifestText(manifest));
    const trusted = TrustedDocuments.load(folder);
    expect(trusted.size).toBe(2);
    const id = documentId('query Count { n }\n');
    expect(trusted.get(id)).toEqual({ id, name: 'Count', body: 'query Count { n }\n' });
    expect(trusted.get('sha256:0000')).toBeUndefined();
  });

  it('refuses a folder whose documents are not one valid named operation each, naming the file', () => {
    write('a.graphql', 'query A { n } query B { n }');
    expect(() => readTrustedDocuments(folder, schema)).toThrow(/a\.graphql: .*exactly one named operation/);
    write('a.graphql', '{ n }');
    expect(() => readTrustedDocuments(folder, schema)).toThrow(/a\.graphql/);
    write('a.graphql', 'query A { missing }');
    expect(() => readTrustedDocuments(folder, schema)).toThrow(/a\.graphql: Cannot query field "missing"/);
    write('a.graphql', 'query A { n }');
    write('b.graphql', 'query A { hello }');
    expect(() => readTrustedDocuments(folder, schema)).toThrow(/b\.graphql: operation A is already defined in a\.graphql/);
  });

  it('will not serve a document edited after its manifest was written', () => {
    write('count.graphql', 'query Count { n }\n');
    write(MANIFEST_FILE, manifestText(buildManifest(folder, schema)));
    write('count.graphql', 'query Count { n hello }\n');
    expect(() => TrustedDocuments.load(folder)).toThrow(/count\.graphql changed after its manifest was written/);
  });

  it('lists its documents, and refuses a manifest of an unknown version', () => {
    write('count.graphql', 'query Count { n }\n');
    write(MANIFEST_FILE, manifestText(buildManifest(folder, schema)));
    expect(TrustedDocuments.load(folder).list().map((document) => document.name)).toEqual(['Count']);
    write(MANIFEST_FILE, JSON.stringify({ version: 2, operations: {} }));
    expect(() => TrustedDocuments.load(folder)).toThrow(/unknown manifest version 2/);
  });

  it('is empty, not failing, where there is no manifest', () => {
    expect(TrustedDocuments.load(folder).size).toBe(0);
  });
});
