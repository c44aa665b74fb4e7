/**
 * Document ids: the SHA-256 of a trusted document's exact text, read from the manifest
 * `npm run compose` writes when there is one, computed the same way before.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { documentIdOf, loadDocumentIds, loadDocuments, OPERATIONS_DIR } from './persisted-documents.js';

let scratch: string | undefined;
afterEach(() => {
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
  scratch = undefined;
});

/** A folder holding `files` (name → text). */
function folder(files: Record<string, string>): string {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'caregraph-documents-'));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(scratch, name), text);
  return scratch;
}

const ONE = '# the first\nquery One { plans { code } }\n';
const TWO = 'query Two($id: ID!) { tenant(id: $id) { id } }\n';
const idOf = (text: string) => `sha256:${createHash('sha256').update(Buffer.from(text, 'utf8')).digest('hex')}`;

describe('documentIdOf', () => {
  it('is sha256: and 64 lowercase hex of the exact UTF-8 text, comments and whitespace included', () => {
    expect(documentIdOf(ONE)).toBe(idOf(ONE));
    expect(documentIdOf(ONE)).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(documentIdOf(ONE)).not.toBe(documentIdOf(ONE.replace('\n', '\r\n')));
    expect(documentIdOf('query É { plans { code } }')).toBe(idOf('query É { plans { code } }'));
  });
});

describe('loadDocuments', () => {
  it('without a manifest: every file, by its operation name, with its computed id and text', () => {
    const dir = folder({ 'one.graphql': ONE, 'two.graphql': TWO, 'notes.txt': 'not a document' });
    expect(loadDocuments(dir)).toEqual(
      new Map([
        ['One', { id: idOf(ONE), text: ONE }],
        ['Two', { id: idOf(TWO), text: TWO }],
      ]),
    );
    expect(loadDocumentIds(dir)).toEqual(new Map([['One', idOf(ONE)], ['Two', idOf(TWO)]]));
  });

  it('refuses a file with no operation name or more than one operation', () => {
    expect(() => loadDocuments(folder({ 'anon.graphql': '{ plans { code } }' }))).toThrow(/anon.graphql/);
    fs.rmSync(scratch!, { recursive: true });
    expect(() => loadDocuments(folder({ 'both.graphql': ONE + TWO }))).toThrow(/both.graphql/);
  });

  it('with a manifest: the operations it lists, under its ids', () => {
    const manifest = { version: 1, operations: { [idOf(ONE)]: { name: 'One', file: 'one.graphql' } } };
    const dir = folder({ 'one.graphql': ONE, 'two.graphql': TWO, 'manifest.json': JSON.stringify(manifest) });
    expect(loadDocumentIds(dir)).toEqual(new Map([['One', idOf(ONE)]]));
  });

  it('refuses a manifest that no longer matches its file, saying to recompose', () => {
    const manifest = { version: 1, operations: { [idOf(ONE)]: { name: 'One', file: 'one.graphql' } } };
    const dir = folder({ 'one.graphql': ONE.replace('code', 'name'), 'manifest.json': JSON.stringify(manifest) });
    expect(() => loadDocuments(dir)).toThrow(/npm run compose/);
  });

  it('the committed operations load, each an id of its exact file text', () => {
    const documents = loadDocuments(OPERATIONS_DIR);
    for (const name of ['TenantDashboard', 'PatientList', 'RevenueView', 'FleetHealth', 'PartnerTenants', 'PartnerTenantUsage']) {
      const document = documents.get(name);
      expect(document, name).toBeDefined();
      expect(document!.id).toBe(idOf(document!.text));
    }
  });
});
