/**
 * The ids of the trusted documents (`schema/operations/*.graphql`) by operation name, which is
 * what a client sends as `documentId` instead of the query text. An id is `sha256:` and the
 * SHA-256 of the file's exact UTF-8 text (comments and whitespace included). The manifest
 * `npm run compose` writes (`schema/operations/manifest.json`) is what the gateway serves, so
 * it is read when it exists; before the first compose the ids are computed from the files the
 * same way. Both are the gateway's own reading of them (lib/trusted-documents.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { documentId, MANIFEST_FILE, OPERATIONS_DIR, readTrustedDocuments, TrustedDocuments } from '../lib/trusted-documents.js';

export { OPERATIONS_DIR };

/** Operation name → `sha256:<hex>`. */
export type DocumentIds = ReadonlyMap<string, string>;

/** A trusted document: its id and its exact text (what a client sends when it sends the query). */
export interface TrustedDocument {
  id: string;
  text: string;
}

/** The document id of a document's exact text. */
export const documentIdOf: (text: string) => string = documentId;

/**
 * The trusted documents of `directory` by operation name: listed by its manifest when there is
 * one, else every `*.graphql` file, named by the one operation it holds, its id computed.
 *
 * Throws when the manifest no longer matches a file: the gateway refuses to start on such a
 * manifest too, so a client holding its ids would only meet errors.
 */
export function loadDocuments(directory: string = OPERATIONS_DIR): ReadonlyMap<string, TrustedDocument> {
  const documents = fs.existsSync(path.join(directory, MANIFEST_FILE)) ? TrustedDocuments.load(directory).list() : readTrustedDocuments(directory);
  return new Map(documents.map(({ name, id, body }) => [name, { id, text: body }]));
}

/** The document ids of `directory` by operation name (see `loadDocuments`). */
export function loadDocumentIds(directory: string = OPERATIONS_DIR): DocumentIds {
  return new Map([...loadDocuments(directory)].map(([name, document]) => [name, document.id]));
}
