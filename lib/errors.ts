/**
 * The one error registry. Every error a client can see has a code from `ErrorCode`, set in
 * `extensions.code`; `docs/errors.md` documents each code and a test keeps the two in step.
 * Anything else thrown inside a resolver is masked by `maskError` as INTERNAL_SERVER_ERROR
 * with the request id, so stack traces, SQL and PHI never reach a client.
 */
import { GraphQLError, type GraphQLErrorOptions, type GraphQLFormattedError } from 'graphql';

export enum ErrorCode {
  BadUserInput = 'BAD_USER_INPUT',
  NotFound = 'NOT_FOUND',
  MethodNotAllowed = 'METHOD_NOT_ALLOWED',
  Unauthenticated = 'UNAUTHENTICATED',
  TenantForbidden = 'TENANT_FORBIDDEN',
  InsufficientScope = 'INSUFFICIENT_SCOPE',
  EntitlementRequired = 'ENTITLEMENT_REQUIRED',
  PhiAccessDenied = 'PHI_ACCESS_DENIED',
  ContextInvalid = 'CONTEXT_INVALID',
  TenantSuspended = 'TENANT_SUSPENDED',
  TenantOffboarded = 'TENANT_OFFBOARDED',
  InvalidTransition = 'INVALID_TRANSITION',
  AppointmentConflict = 'APPOINTMENT_CONFLICT',
  UnknownPayer = 'UNKNOWN_PAYER',
  SelfApprovalForbidden = 'SELF_APPROVAL_FORBIDDEN',
  PlanLimitExceeded = 'PLAN_LIMIT_EXCEEDED',
  IdempotencyKeyReused = 'IDEMPOTENCY_KEY_REUSED',
  RateLimited = 'RATE_LIMITED',
  OperationTooLarge = 'OPERATION_TOO_LARGE',
  OperationTooManyTokens = 'OPERATION_TOO_MANY_TOKENS',
  OperationTooManyAliases = 'OPERATION_TOO_MANY_ALIASES',
  OperationTooManyDirectives = 'OPERATION_TOO_MANY_DIRECTIVES',
  OperationTooDeep = 'OPERATION_TOO_DEEP',
  OperationTooCostly = 'OPERATION_TOO_COSTLY',
  IntrospectionDisabled = 'INTROSPECTION_DISABLED',
  PersistedQueryNotFound = 'PERSISTED_QUERY_NOT_FOUND',
  OperationNotTrusted = 'OPERATION_NOT_TRUSTED',
  OutsidePartnerContract = 'OUTSIDE_PARTNER_CONTRACT',
  BatchNotAllowed = 'BATCH_NOT_ALLOWED',
  PayloadTooLarge = 'PAYLOAD_TOO_LARGE',
  GatewayTimeout = 'GATEWAY_TIMEOUT',
  SubgraphUnavailable = 'SUBGRAPH_UNAVAILABLE',
  ServiceUnavailable = 'SERVICE_UNAVAILABLE',
  InternalServerError = 'INTERNAL_SERVER_ERROR',
}

/** HTTP status for errors that end a request before GraphQL execution starts. */
export const HTTP_STATUS: Readonly<Record<ErrorCode, number>> = Object.freeze({
  [ErrorCode.BadUserInput]: 400,
  [ErrorCode.NotFound]: 404,
  [ErrorCode.MethodNotAllowed]: 405,
  [ErrorCode.Unauthenticated]: 401,
  [ErrorCode.TenantForbidden]: 403,
  [ErrorCode.InsufficientScope]: 403,
  [ErrorCode.EntitlementRequired]: 403,
  [ErrorCode.PhiAccessDenied]: 403,
  [ErrorCode.ContextInvalid]: 401,
  [ErrorCode.TenantSuspended]: 403,
  [ErrorCode.TenantOffboarded]: 403,
  [ErrorCode.InvalidTransition]: 409,
  [ErrorCode.AppointmentConflict]: 409,
  [ErrorCode.UnknownPayer]: 400,
  [ErrorCode.SelfApprovalForbidden]: 403,
  [ErrorCode.PlanLimitExceeded]: 409,
  [ErrorCode.IdempotencyKeyReused]: 409,
  [ErrorCode.RateLimited]: 429,
  [ErrorCode.OperationTooLarge]: 400,
  [ErrorCode.OperationTooManyTokens]: 400,
  [ErrorCode.OperationTooManyAliases]: 400,
  [ErrorCode.OperationTooManyDirectives]: 400,
  [ErrorCode.OperationTooDeep]: 400,
  [ErrorCode.OperationTooCostly]: 400,
  [ErrorCode.IntrospectionDisabled]: 403,
  [ErrorCode.PersistedQueryNotFound]: 400,
  [ErrorCode.OperationNotTrusted]: 403,
  [ErrorCode.OutsidePartnerContract]: 403,
  [ErrorCode.BatchNotAllowed]: 400,
  [ErrorCode.PayloadTooLarge]: 413,
  [ErrorCode.GatewayTimeout]: 504,
  // Reported inside an answer of HTTP 200 (the other subgraphs' fields still come back); 503 is its status were it ever to end a request.
  [ErrorCode.SubgraphUnavailable]: 503,
  [ErrorCode.ServiceUnavailable]: 503,
  [ErrorCode.InternalServerError]: 500,
});

type Extra = Record<string, unknown>;

/** Base class: a client-safe error with a registered code. */
export class CareGraphError extends GraphQLError {
  /** HTTP headers the answer carries when this error ends a request before execution (e.g. `retry-after`). */
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    readonly code: ErrorCode,
    message: string,
    options: Omit<GraphQLErrorOptions, 'extensions'> & { extensions?: Extra; headers?: Record<string, string> } = {},
  ) {
    const { headers, ...graphqlOptions } = options;
    super(message, { ...graphqlOptions, extensions: { ...options.extensions, code } });
    this.name = this.constructor.name;
    this.headers = headers ?? {};
  }
}

export class BadUserInputError extends CareGraphError {
  constructor(message: string, extensions?: Extra) {
    super(ErrorCode.BadUserInput, message, { extensions });
  }
}
export class NotFoundError extends CareGraphError {
  constructor(message: string, extensions?: Extra) {
    super(ErrorCode.NotFound, message, { extensions });
  }
}
export class MethodNotAllowedError extends CareGraphError {
  constructor(message: string, extensions?: Extra) {
    super(ErrorCode.MethodNotAllowed, message, { extensions });
  }
}
export class UnauthenticatedError extends CareGraphError {
  constructor(message = 'Authentication required', extensions?: Extra) {
    super(ErrorCode.Unauthenticated, message, { extensions });
  }
}
/** A plan change the tenant's current use does not fit in (a downgrade below what it uses). */
export class PlanLimitExceededError extends CareGraphError {
  constructor(message: string, extensions?: Extra) {
    super(ErrorCode.PlanLimitExceeded, message, { extensions });
  }
}

/** A lifecycle move its record's current state does not allow (`OFFBOARDED → ACTIVE`); nothing was changed. */
export class InvalidTransitionError extends CareGraphError {
  constructor(message: string, extensions?: Extra) {
    super(ErrorCode.InvalidTransition, message, { extensions });
  }
}
/**
 * A booking that overlaps another SCHEDULED or CHECKED_IN appointment of the same provider,
 * location or patient; `extensions.argument` names which. Nothing was written.
 */
export class AppointmentConflictError extends CareGraphError {
  constructor(message: string, extensions?: Extra) {
    super(ErrorCode.AppointmentConflict, message, { extensions });
  }
}
/** A coverage naming a payer that is not in the platform's payer directory. Nothing was written. */
export class UnknownPayerError extends CareGraphError {
  constructor(message: string, extensions?: Extra) {
    super(ErrorCode.UnknownPayer, message, { extensions });
  }
}
/** An idempotency key already used for a different request: nothing was written. */
export class IdempotencyKeyReusedError extends CareGraphError {
  constructor(message: string) {
    super(ErrorCode.IdempotencyKeyReused, message);
  }
}
/** Four eyes: whoever requested a change may not decide it. */
export class SelfApprovalForbiddenError extends CareGraphError {
  constructor(message: string) {
    super(ErrorCode.SelfApprovalForbidden, message);
  }
}
export class TenantForbiddenError extends CareGraphError {
  constructor(message = 'The caller may not act on this tenant', extensions?: Extra) {
    super(ErrorCode.TenantForbidden, message, { extensions });
  }
}
export class InsufficientScopeError extends CareGraphError {
  constructor(message = 'The caller lacks a scope this field requires', extensions?: Extra) {
    super(ErrorCode.InsufficientScope, message, { extensions });
  }
}
export class EntitlementRequiredError extends CareGraphError {
  constructor(message = "The tenant's plan does not include this feature", extensions?: Extra) {
    super(ErrorCode.EntitlementRequired, message, { extensions });
  }
}
export class PhiAccessDeniedError extends CareGraphError {
  constructor(message = 'Protected health information requires a PHI scope and a clinical role', extensions?: Extra) {
    super(ErrorCode.PhiAccessDenied, message, { extensions });
  }
}
export class ContextInvalidError extends CareGraphError {
  constructor(message = 'Missing or invalid tenant context', extensions?: Extra) {
    super(ErrorCode.ContextInvalid, message, { extensions });
  }
}

export class TenantSuspendedError extends CareGraphError {
  constructor(message = 'The tenant is suspended', extensions?: Extra) {
    super(ErrorCode.TenantSuspended, message, { extensions });
  }
}
export class TenantOffboardedError extends CareGraphError {
  constructor(message = 'The tenant has been offboarded', extensions?: Extra) {
    super(ErrorCode.TenantOffboarded, message, { extensions });
  }
}
export class RateLimitedError extends CareGraphError {
  constructor(message: string, extensions?: Extra, headers?: Record<string, string>) {
    super(ErrorCode.RateLimited, message, { extensions, headers });
  }
}
export class OperationTooLargeError extends CareGraphError {
  constructor(message: string, extensions?: Extra) {
    super(ErrorCode.OperationTooLarge, message, { extensions });
  }
}
export class BatchNotAllowedError extends CareGraphError {
  constructor(message = 'Batched requests are not accepted: send one operation per request (a JSON object, not an array)') {
    super(ErrorCode.BatchNotAllowed, message);
  }
}
export class OperationTooDeepError extends CareGraphError {
  constructor(message: string, extensions?: Extra) {
    super(ErrorCode.OperationTooDeep, message, { extensions });
  }
}
export class OperationTooCostlyError extends CareGraphError {
  constructor(message: string, extensions?: Extra) {
    super(ErrorCode.OperationTooCostly, message, { extensions });
  }
}
export class IntrospectionDisabledError extends CareGraphError {
  constructor(message = 'Introspection (__schema, __type) is answered only in an operation of its own', extensions?: Extra) {
    super(ErrorCode.IntrospectionDisabled, message, { extensions });
  }
}
export class PersistedQueryNotFoundError extends CareGraphError {
  constructor(message = 'No trusted document has this id', extensions?: Extra) {
    super(ErrorCode.PersistedQueryNotFound, message, { extensions });
  }
}
export class OperationNotTrustedError extends CareGraphError {
  constructor(message = 'This API key runs trusted documents only: send a documentId from schema/operations', extensions?: Extra) {
    super(ErrorCode.OperationNotTrusted, message, { extensions });
  }
}
export class OutsidePartnerContractError extends CareGraphError {
  constructor(message: string, extensions?: Extra) {
    super(ErrorCode.OutsidePartnerContract, message, { extensions });
  }
}
export class PayloadTooLargeError extends CareGraphError {
  constructor(message: string, extensions?: Extra) {
    super(ErrorCode.PayloadTooLarge, message, { extensions });
  }
}
export class GatewayTimeoutError extends CareGraphError {
  constructor(message = 'The request did not complete within its deadline', extensions?: Extra) {
    super(ErrorCode.GatewayTimeout, message, { extensions });
  }
}
/**
 * A part of the answer could not be fetched: the service behind it failed, was too slow, or is
 * being given a rest. The message names no service: the platform's topology is not the caller's.
 */
/**
 * A dependency the answer needs cannot be reached now — a service's database (a restart, a
 * failover), or the service behind an internal call — and the request changed nothing: safe to
 * retry shortly. The message names no host, port or server.
 */
export class ServiceUnavailableError extends CareGraphError {
  constructor(message = 'A service this request needs is unavailable; nothing was changed. Retry in a few seconds') {
    super(ErrorCode.ServiceUnavailable, message);
  }
}
export class SubgraphUnavailableError extends CareGraphError {
  constructor(message = 'Part of this answer is temporarily unavailable: its fields are null', extensions?: Extra) {
    super(ErrorCode.SubgraphUnavailable, message, { extensions });
  }
}

const KNOWN_CODES = new Set<string>(Object.values(ErrorCode));

/**
 * The only extension keys a client ever sees. Anything else a library adds (a subgraph's
 * `serviceName`, the upstream `response` with its internal URL, `exception`, `stacktrace`)
 * names internals and is dropped.
 */
const CLIENT_EXTENSIONS = new Set(['code', 'requestId', 'argument', 'occurrences', 'limit', 'retryAfterSeconds', 'from', 'to', 'purgeAfter']);

/** graphql-js' "Did you mean …?" hints reveal schema members the caller may not see. */
const SUGGESTION = / ?Did you mean [^?]*\?$/;

/**
 * Masks anything that is not a registered, client-safe error. Errors that already carry a
 * registered code (ours, or GraphQL validation errors forwarded by a subgraph) pass through
 * without their stack; everything else becomes INTERNAL_SERVER_ERROR with the request id
 * the operator can search the logs for.
 */
export function maskError(formatted: GraphQLFormattedError, requestId?: string): GraphQLFormattedError {
  const code = formatted.extensions?.code;
  // INTERNAL_SERVER_ERROR is registered but never passed through: its message may name internals.
  if (typeof code === 'string' && code !== (ErrorCode.InternalServerError as string) && (KNOWN_CODES.has(code) || PASS_THROUGH_CODES.has(code))) {
    const extensions = Object.fromEntries(Object.entries(formatted.extensions ?? {}).filter(([key]) => CLIENT_EXTENSIONS.has(key)));
    return { ...formatted, message: formatted.message.replace(SUGGESTION, ''), extensions };
  }
  return {
    message: requestId ? `Internal server error (request ${requestId})` : 'Internal server error',
    ...(formatted.path ? { path: formatted.path } : {}),
    ...(formatted.locations ? { locations: formatted.locations } : {}),
    extensions: { code: ErrorCode.InternalServerError, ...(requestId ? { requestId } : {}) },
  };
}

/**
 * Codes produced by the GraphQL server itself for malformed requests; they describe the
 * client's own query, never our data, so they are safe to show.
 */
const PASS_THROUGH_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
]);
