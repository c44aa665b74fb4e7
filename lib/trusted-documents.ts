/**
 * Trusted documents: the operations the platform's own clients run, one named operation per
 * file under `schema/operations/`, each known by the SHA-256 of its exact text
 * (`sha256:<hex>`). `npm run compose` writes their manifest (`schema/operations/manifest.json`),
 * a test fails when it is stale, and the gateway resolves a `documentId` (or the APQ
 * `extensions.persistedQuery.sha256Hash`) to the document before its field-policy walk, so a
 * persisted document is judged exactly like one sent whole. An API key made safelist-only runs
 * nothing else.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kind, parse, validate, type GraphQLSchema } from 'graphql';

/** The folder of the trusted documents. */
export const OPERATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../schema/operations');
export const MANIFEST_FILE = 'manifest.json';

export interface Manifest {
  version: 1;
  /** By document id: the operation's name and the file holding its text. */
  operations: Record<string, { name: string; file: string }>;
}

export interface TrustedDocument {
  id: string;
  name: string;
  body: string;
}

/** The id of a document: the SHA-256 of its exact UTF-8 text. */
export function documentId(body: string): string {
  return `sha256:${createHash('sha256').update(body, 'utf8').digest('hex')}`;
}

/**
 * Reads every `*.graphql` file of `directory` and checks each: one named operation, a name no
 * other file uses, valid against `schema` when given. Throws naming the file otherwise.
 */
export function readTrustedDocuments(directory: string = OPERATIONS_DIR, schema?: GraphQLSchema): (TrustedDocument & { file: string })[] {
  if (!fs.existsSync(directory)) return [];
  const names = new Map<string, string>();
  return fs
    .readdirSync(directory)
    .filter((file) => file.endsWith('.graphql'))
    .sort()
    .map((file) => {
      const body = fs.readFileSync(path.join(directory, file), 'utf8');
      const document = parse(body);
      const operations = document.definitions.filter((definition) => definition.kind === Kind.OPERATION_DEFINITION);
      const name = operations.length === 1 ? operations[0]!.name?.value : undefined;
      if (!name) throw new Error(`${file}: a trusted document holds exactly one named operation`);
      const other = names.get(name);
      if (other) throw new Error(`${file}: operation ${name} is already defined in ${other}`);
      names.set(name, file);
      const errors = schema ? validate(schema, document) : [];
      if (errors.length > 0) throw new Error(`${file}: ${errors.map((error) => error.message).join('; ')}`);
      return { id: documentId(body), name, body, file };
    });
}

/** The manifest of the documents of `directory`, as `npm run compose` writes it. */
export function buildManifest(directory: string = OPERATIONS_DIR, schema?: GraphQLSchema): Manifest {
  const documents = readTrustedDocuments(directory, schema);
  return { version: 1, operations: Object.fromEntries(documents.map(({ id, name, file }) => [id, { name, file }])) };
}

/** The manifest's JSON text: stable, so the stale check compares text. */
export const manifestText = (manifest: Manifest): string => `${JSON.stringify(manifest, null, 2)}\n`;

/**
 * The trusted documents a gateway serves: the committed manifest, each file read and checked
 * against its id, so that a file edited without `npm run compose` stops the gateway at start
 * instead of serving a document its clients do not expect.
 */
export class TrustedDocuments {
  private constructor(private readonly byId: ReadonlyMap<string, TrustedDocument>) {}

  static load(directory: string = OPERATIONS_DIR): TrustedDocuments {
    const manifestPath = path.join(directory, MANIFEST_FILE);
    if (!fs.existsSync(manifestPath)) return new TrustedDocuments(new Map());
    const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8')) as Manifest;
    if (manifest.version !== 1) throw new Error(`${manifestPath}: unknown manifest version ${String(manifest.version)}`);
    const byId = new Map<string, TrustedDocument>();
    for (const [id, { name, file }] of Object.entries(manifest.operations)) {
      const body = fs.readFileSync(path.join(directory, path.basename(file)), 'utf8');
      if (documentId(body) !== id) throw new Error(`${file} changed after its manifest was written: run npm run compose`);
      byId.set(id, { id, name, body });
    }
    return new TrustedDocuments(byId);
  }

  /** The document with this id, if it is trusted. */
  get(id: string): TrustedDocument | undefined {
    return this.byId.get(id);
  }

  get size(): number {
    return this.byId.size;
  }

  /** Every trusted document, in the manifest's order. */
  list(): TrustedDocument[] {
    return [...this.byId.values()];
  }
}
