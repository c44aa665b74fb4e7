/**
 * Resolves what a request asks to run into a query text before anything judges it: a
 * `documentId` (`sha256:<hex>`) or the APQ form (`extensions.persistedQuery.sha256Hash`) is
 * looked up among the trusted documents (lib/trusted-documents.ts); a query sent whole is
 * trusted when it is one of them, character for character. The result goes through the same
 * checks and field-policy walk as any query: a hash never skips them.
 *
 * The gateway registers nothing (no APQ "send the query once, then its hash"): an unknown id
 * is PERSISTED_QUERY_NOT_FOUND. A safelist-only API key runs trusted documents only.
 */
import { BadUserInputError, OperationNotTrustedError, PersistedQueryNotFoundError, type CareGraphError } from '../lib/errors.js';
import type { TrustedDocuments } from '../lib/trusted-documents.js';
import { hashQuery } from './operation-check.js';

const DOCUMENT_ID = /^sha256:[0-9a-f]{64}$/;

/**
 * `body` is the request as the GraphQL server must see it (with `query`, without the id or the
 * APQ extension, which it would answer itself); `queryHash`, the SHA-256 of its query text
 * (`hashQuery`), when it has one: the checks after this one key their caches by it, and a
 * document id is that same digest (lib/trusted-documents.ts `documentId`), so it is computed
 * once per request.
 */
export type ResolvedDocument = { body: Record<string, unknown>; queryHash?: string } | { error: CareGraphError };

const ID_PREFIX = 'sha256:';

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * What a request body runs. Bodies without any query or id are passed on untouched (the server
 * explains what is missing) unless the caller is safelist-only.
 */
export function resolveDocument(request: Record<string, unknown>, trusted: TrustedDocuments, safelistOnly: boolean): ResolvedDocument {
  // Only a map is read; anything else (an array too, which spreading would turn into a map) goes
  // on as it came, for the server to refuse with 400.
  const extensions = isRecord(request.extensions) ? request.extensions : undefined;
  const persisted = extensions?.persistedQuery as { sha256Hash?: unknown } | undefined;
  const apqHash = persisted?.sha256Hash;
  const givenId = request.documentId !== undefined ? request.documentId : apqHash !== undefined ? (typeof apqHash === 'string' ? `sha256:${apqHash}` : apqHash) : undefined;
  const query = typeof request.query === 'string' ? request.query : undefined;
  const { documentId: _id, ...rest } = request;
  const { persistedQuery: _persisted, ...otherExtensions } = extensions ?? {};
  const body = { ...rest, ...(extensions ? { extensions: otherExtensions } : {}) };

  if (givenId !== undefined) {
    if (typeof givenId !== 'string' || !DOCUMENT_ID.test(givenId.toLowerCase())) {
      return { error: new BadUserInputError('documentId must be "sha256:" followed by 64 hexadecimal digits') };
    }
    const id = givenId.toLowerCase();
    if (query !== undefined) {
      const queryHash = hashQuery(query);
      if (`${ID_PREFIX}${queryHash}` !== id) return { error: new BadUserInputError('The query does not match its documentId (sha256 of the exact text)') };
      if (safelistOnly && !trusted.get(id)) return { error: new OperationNotTrustedError() };
      return { body, queryHash };
    }
    const document = trusted.get(id);
    if (!document) return { error: new PersistedQueryNotFoundError(`No trusted document has the id ${id}`) };
    return { body: { ...body, query: document.body }, queryHash: id.slice(ID_PREFIX.length) };
  }
  if (query === undefined) return safelistOnly ? { error: new OperationNotTrustedError() } : { body: request };
  const queryHash = hashQuery(query);
  if (safelistOnly && !trusted.get(`${ID_PREFIX}${queryHash}`)) return { error: new OperationNotTrustedError() };
  return { body, queryHash };
}
