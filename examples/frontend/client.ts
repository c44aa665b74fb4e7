/**
 * A typed client for a clinic frontend. It runs the trusted documents only: given a generated
 * `TypedDocumentNode` (`./src/gql/graphql.js`, from `npm run codegen`), it sends the document's
 * id (`{ documentId, operationName, variables }`) with the user's Bearer token, so the browser
 * never ships query text and the gateway runs nothing but the reviewed operations. The result
 * is typed by the document, and keeps partial data: a field the user may not read is `null`
 * with its error beside the data (see ../graphql-result.ts).
 *
 * No Node-only API here (fetch only), so the same module runs in a browser bundle; the ids come
 * from the caller (`loadDocumentIds()` in Node, or a map built into the bundle).
 */
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { Kind, print, type DocumentNode } from 'graphql';
import { readResult, type OperationResult } from '../graphql-result.js';
import type { DocumentIds } from '../persisted-documents.js';

export interface ClientOptions {
  /** The gateway's GraphQL endpoint, e.g. http://localhost:4000/graphql. */
  url: string;
  /** The user's JWT. */
  token: string;
  /**
   * `x-tenant-id`: the tenant to act in. Tenant users act in their token's tenant and may omit
   * it; platform staff set it to act inside one tenant.
   */
  tenantId?: string;
  /** Document ids by operation name. */
  documentIds: DocumentIds;
  /**
   * `documentId` (the default) sends the trusted document's id; `query` sends its text, for a
   * gateway that does not serve trusted documents yet.
   */
  send?: 'documentId' | 'query';
  fetch?: typeof fetch;
}

/**
 * The variables argument: optional when the operation has no required variable, required
 * otherwise, so a missing `tenantId` is a type error rather than a BAD_USER_INPUT at run time.
 */
type VariablesArgument<TVariables> = Record<string, never> extends TVariables ? [variables?: TVariables] : [variables: TVariables];

export interface CareGraphClient {
  /** Runs `document`; resolves with its data and errors, rejects only when there is no data. */
  execute<TData, TVariables>(
    document: TypedDocumentNode<TData, TVariables>,
    ...variables: VariablesArgument<TVariables>
  ): Promise<OperationResult<TData>>;
}

/** A client for one user (and tenant). */
export function createClient(options: ClientOptions): CareGraphClient {
  const send = options.send ?? 'documentId';
  const fetchImpl = options.fetch ?? fetch;
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    authorization: `Bearer ${options.token}`,
    ...(options.tenantId ? { 'x-tenant-id': options.tenantId } : {}),
  };
  return {
    async execute<TData, TVariables>(document: TypedDocumentNode<TData, TVariables>, ...[variables]: VariablesArgument<TVariables>) {
      const operationName = operationNameOf(document);
      const body =
        send === 'query'
          ? { query: print(document), operationName, variables }
          : { documentId: documentIdFor(options.documentIds, operationName), operationName, variables };
      const response = await fetchImpl(options.url, { method: 'POST', headers, body: JSON.stringify(body) });
      return readResult<TData>(response);
    },
  };
}

/** The name of a generated document's one operation (what the ids are keyed by). */
export function operationNameOf(document: DocumentNode): string {
  const operation = document.definitions.find((definition) => definition.kind === Kind.OPERATION_DEFINITION);
  const name = operation?.kind === Kind.OPERATION_DEFINITION ? operation.name?.value : undefined;
  if (!name) throw new Error('The document holds no named operation: use one generated from schema/operations');
  return name;
}

function documentIdFor(ids: DocumentIds, operationName: string): string {
  const id = ids.get(operationName);
  // Failing here beats a round trip: the gateway would refuse a document it does not know.
  if (!id) throw new Error(`${operationName} is not a trusted document (schema/operations): run npm run compose and npm run codegen`);
  return id;
}
