/**
 * The ids of the trusted documents (`schema/operations/*.graphql`) by operation name, which is
 * what a client sends as `documentId` instead of the query text. An id is `sha256:` and the
 * SHA-256 of the file's exact UTF-8 text (comments and whitespace included). The manifest
 * `npm run compose` writes (`schema/operations/manifest.json`) is what the gateway serves, so
 * it is read when it exists; before the first compose the ids are computed from the files the
 * same way.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kind, parse } from 'graphql';

export const OPERATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'schema', 'operations');
const MANIFEST_FILE = 'manifest.json';

/** Operation name → `sha256:<hex>`. */
export type DocumentIds = ReadonlyMap<string, string>;

/** A trusted document: its id and its exact text (what a client sends when it sends the query). */
export interface TrustedDocument {
  id: string;
  text: string;
}

interface Manifest {
  version: number;
  operations: Record<string, { name: string; file: string }>;
}

/** The document id of a document's exact text. */
export function documentIdOf(text: string): string {
  return `sha256:${createHash('sha256').update(text, 'utf8').digest('hex')}`;
}

/**
 * The trusted documents of `directory` by operation name: listed by its manifest when there is
 * one, else every `*.graphql` file, named by the one operation it holds, its id computed.
 *
 * Throws when the manifest no longer matches a file: the gateway refuses to start on such a
 * manifest too, so a client holding its ids would only meet errors.
 */
export function loadDocuments(directory: string = OPERATIONS_DIR): ReadonlyMap<string, TrustedDocument> {
  const manifestPath = path.join(directory, MANIFEST_FILE);
  const documents = new Map<string, TrustedDocument>();
  if (fs.existsSync(manifestPath)) {
    const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8')) as Manifest;
    if (manifest.version !== 1) throw new Error(`${manifestPath}: unknown manifest version ${String(manifest.version)}`);
    for (const [id, { name, file }] of Object.entries(manifest.operations)) {
      const text = fs.readFileSync(path.join(directory, path.basename(file)), 'utf8');
      if (documentIdOf(text) !== id) throw new Error(`${file} changed after ${MANIFEST_FILE} was written: run npm run compose`);
      documents.set(name, { id, text });
    }
    return documents;
  }
  for (const file of fs.readdirSync(directory).filter((f) => f.endsWith('.graphql')).sort()) {
    const text = fs.readFileSync(path.join(directory, file), 'utf8');
    const operations = parse(text).definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
    const name = operations.length === 1 ? operations[0]!.name?.value : undefined;
    if (!name) throw new Error(`${file}: a trusted document holds exactly one named operation`);
    documents.set(name, { id: documentIdOf(text), text });
  }
  return documents;
}

/** The document ids of `directory` by operation name (see `loadDocuments`). */
export function loadDocumentIds(directory: string = OPERATIONS_DIR): DocumentIds {
  return new Map([...loadDocuments(directory)].map(([name, document]) => [name, document.id]));
}
