/**
 * Reading a CareGraph GraphQL answer the way both example clients need it. A field the caller
 * may not read (`INSUFFICIENT_SCOPE`, `ENTITLEMENT_REQUIRED`, `PHI_ACCESS_DENIED`, …) comes
 * back `null` with an entry in `errors` while the rest of the data is answered (HTTP 200), so
 * an answer with data is a result, errors and all; only an answer without data (refused before
 * execution: 401, 403, 400, 413, 504, …) is thrown, as a `RequestFailedError` with its codes.
 */

/** One entry of an answer's `errors`. */
export interface ResultError {
  message: string;
  /** `extensions.code`: what a program branches on (docs/errors.md). */
  code: string | undefined;
  /** Response keys and list indices of the field that failed, when it was a field. */
  path: readonly (string | number)[] | undefined;
  extensions: Readonly<Record<string, unknown>>;
}

export interface OperationResult<TData> {
  /** The data, with `null` where a field was denied or failed: see `errors`. */
  data: TData;
  errors: readonly ResultError[];
  /** HTTP status of the answer. */
  status: number;
}

/** An answer without data: nothing of the operation ran, or its root failed. */
export class RequestFailedError extends Error {
  override readonly name = 'RequestFailedError';

  constructor(
    readonly status: number,
    readonly errors: readonly ResultError[],
    /** The answer's `retry-after` header, when it had one (rate limits, overload). */
    readonly retryAfter: string | null = null,
  ) {
    const first = errors[0];
    super(first ? `${first.code ?? 'ERROR'}: ${first.message} (HTTP ${status})` : `HTTP ${status} without a GraphQL answer`);
  }

  /** The `extensions.code` of each error, in order. */
  get codes(): (string | undefined)[] {
    return this.errors.map((error) => error.code);
  }
}

interface WireError {
  message?: unknown;
  path?: unknown;
  extensions?: Record<string, unknown>;
}

/**
 * Reads a fetch `Response` from the gateway. Returns the result when it holds data (partial
 * data included); throws `RequestFailedError` when it holds none or is not a GraphQL answer.
 */
export async function readResult<TData>(response: Response): Promise<OperationResult<TData>> {
  const text = await response.text();
  let body: { data?: TData | null; errors?: WireError[] };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    // A proxy's HTML error page, or a cut connection: there is no GraphQL error to report.
    throw new RequestFailedError(response.status, [], response.headers.get('retry-after'));
  }
  const errors = (Array.isArray(body.errors) ? body.errors : []).map(toResultError);
  if (body.data == null) throw new RequestFailedError(response.status, errors, response.headers.get('retry-after'));
  return { data: body.data, errors, status: response.status };
}

function toResultError(error: WireError): ResultError {
  const extensions = error.extensions ?? {};
  return {
    message: typeof error.message === 'string' ? error.message : 'Unknown error',
    code: typeof extensions.code === 'string' ? extensions.code : undefined,
    path: Array.isArray(error.path) ? (error.path as (string | number)[]) : undefined,
    extensions,
  };
}

/**
 * The error that explains the field at `path`, if any: the error of that field or of one
 * above it (a denied object nulls everything under it). List indices are ignored, because
 * the gateway reports a denied field once per path pattern (the first occurrence, with
 * `extensions.occurrences` counting the rest).
 */
export function errorAt(errors: readonly ResultError[], path: readonly (string | number)[]): ResultError | undefined {
  const keys = path.filter((segment) => typeof segment === 'string');
  return errors.find((error) => {
    const errorKeys = (error.path ?? []).filter((segment) => typeof segment === 'string');
    return errorKeys.length > 0 && errorKeys.length <= keys.length && errorKeys.every((key, i) => key === keys[i]);
  });
}
