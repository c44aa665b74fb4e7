/**
 * What every subgraph request goes through, whichever server runs it. The Apollo and Mercurius
 * adapters only translate these into their framework's hooks, so that context verification,
 * internal routes, the PHI-read hook, the request-end hook, logging and error masking behave
 * the same on both (`lib/subgraph/adapters.int.test.ts` runs one definition on each).
 */
import type { IncomingHttpHeaders } from 'node:http';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLFormattedError, GraphQLSchema } from 'graphql';
import type { Database } from '../db/index.js';
import { CareGraphError, ErrorCode, HTTP_STATUS, maskError } from '../errors.js';
import { errorBody } from '../http/apollo-http.js';
import type { Logger } from '../logger.js';
import { enforcePolicies } from '../policy/enforce.js';
import { runWithRequestContext } from '../request-context.js';
import type { ContextUse, ContextVerifier, TenantContext } from '../tenant-context.js';
import type { SubgraphContext, SubgraphDefinition } from './definition.js';

/** A subgraph's server, listening. */
export interface ListeningSubgraph {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** An answer outside GraphQL: status and JSON body. */
export interface RouteAnswer {
  status: number;
  body: unknown;
}

/** An internal route, its caller already verified as a service: the request URL and JSON body in. */
export type InternalHandler = (caller: TenantContext, url: string, body: unknown) => Promise<RouteAnswer>;

/** An error as the servers report it after execution: a code in `extensions`, the thrown error in `originalError`. */
export interface ReportedError {
  message: string;
  extensions?: Record<string, unknown>;
  originalError?: unknown;
}

export interface SubgraphHooks<Loaders> {
  readonly name: string;
  readonly logger: Logger;
  /** The executable schema: policies enforced at resolution, PHI reads reported to `onPhiRead`. */
  readonly schema: GraphQLSchema;
  /** Internal routes by path (`/internal/<name>`). */
  readonly internalRoutes: Readonly<Record<string, InternalHandler>>;
  /**
   * The forwarded context, verified for `use`: `graphql` refuses service contexts (they open
   * every tenant), `internal` accepts only them. Throws ContextInvalidError.
   */
  verify(headers: IncomingHttpHeaders, use: ContextUse): TenantContext;
  /** The GraphQL context of a verified request. */
  context(tenant: TenantContext): SubgraphContext<Loaders>;
  health(): RouteAnswer;
  /** The answer to a registered error that ends a request before GraphQL; anything else is rethrown. */
  refuse(error: unknown): RouteAnswer;
  /**
   * Runs the request-end hook. Undefined when it passed (or there is none); when it failed, it
   * is logged with the request id and the result to send instead (no data, a masked error).
   */
  endRequest(context: SubgraphContext<Loaders>): Promise<{ data: null; errors: GraphQLFormattedError[] } | undefined>;
  /** Logs the errors of an execution that will be masked, so the operator finds them by request id. */
  reportErrors(errors: readonly ReportedError[], requestId: string | undefined): void;
  /** What a client sees of an error: registered codes pass, anything else is masked with the request id. */
  formatError(error: GraphQLFormattedError, requestId: string | undefined): GraphQLFormattedError;
  /** Logs an unexpected error outside execution and returns the masked 500 that answers it. */
  requestFailed(error: unknown, requestId: string): RouteAnswer;
}

/** The hooks of one subgraph, over its pool, verifier and logger. */
export function createSubgraphHooks<Loaders>(
  definition: SubgraphDefinition<Loaders>,
  db: Database,
  verifier: ContextVerifier,
  logger: Logger,
): SubgraphHooks<Loaders> {
  const schema = enforcePolicies<SubgraphContext<Loaders>>(
    buildSubgraphSchema({ typeDefs: definition.typeDefs, resolvers: definition.resolvers }),
    definition.typeDefs,
    { onPhiRead: definition.onPhiRead },
  );

  const refuse = (error: unknown): RouteAnswer => {
    if (!(error instanceof CareGraphError)) throw error;
    return { status: HTTP_STATUS[error.code], body: errorBody(error.code, error.message) };
  };

  const internalRoutes: Record<string, InternalHandler> = {};
  for (const [name, route] of Object.entries(definition.internalRoutes ?? {})) {
    internalRoutes[`/internal/${name}`] = async (caller, url, body) => {
      const params = new URL(url, 'http://localhost').searchParams;
      try {
        return { status: 200, body: await runWithRequestContext(caller, () => route(params, db, caller, body)) };
      } catch (error) {
        return refuse(error);
      }
    };
  }

  return {
    name: definition.name,
    logger,
    schema,
    internalRoutes,
    verify: (headers, use) => verifier.verify(headers, definition.name, use),
    context: (tenant) => ({ tenant, db, loaders: definition.createLoaders(db, tenant) }),
    health: () => ({ status: 200, body: { status: 'ok', service: definition.name } }),
    refuse,
    async endRequest(context) {
      if (!definition.requestDidEnd) return undefined;
      try {
        await definition.requestDidEnd(context);
        return undefined;
      } catch (error) {
        // The hook writes what must accompany the answer (the PHI audit): no record, no answer.
        const requestId = context.tenant.requestId;
        logger.error({ err: safeErrorFields(error), requestId }, 'request end hook failed');
        return { data: null, errors: [maskError({ message: 'request end hook failed' }, requestId)] };
      }
    },
    reportErrors(errors, requestId) {
      for (const error of errors) {
        const code = error.extensions?.code;
        if (!code || code === ErrorCode.InternalServerError) {
          logger.error({ err: safeErrorFields(error.originalError ?? error), requestId }, 'unexpected resolver error');
        }
      }
    },
    formatError: (error, requestId) => maskError(error, requestId),
    requestFailed(error, requestId) {
      logger.error({ err: safeErrorFields(error), requestId }, 'request failed');
      return {
        status: 500,
        body: errorBody(ErrorCode.InternalServerError, `Internal server error (request ${requestId})`, { requestId }),
      };
    },
  };
}

/**
 * Only name, message, SQLSTATE and stack: driver errors carry a `detail` that can quote row
 * values (PHI), so they are never serialised whole.
 */
export function safeErrorFields(error: unknown): { name?: string; message?: string; code?: string; stack?: string } {
  if (!(error instanceof Error)) return { message: String(error) };
  const code = (error as { code?: unknown }).code;
  return { name: error.name, message: error.message, code: typeof code === 'string' ? code : undefined, stack: error.stack };
}
