/**
 * What every operation passes before the field-policy walk looks at it: parsed with a token
 * limit, measured against the operation limits, validated against the API schema, and its
 * variables coerced (so defaults apply to `@skip`/`@include` exactly as execution will).
 *
 * The measure runs before validation and is linear in the document: each fragment is sized
 * once and its size reused wherever it is spread, so a fragment that spreads the next one
 * twice per level (2^n fields from a few hundred bytes) is refused without being expanded.
 * Parse, measure and validation results are cached by the SHA-256 of the document text, in
 * a cache bounded by an estimate of the memory each entry keeps alive (the text and its
 * syntax tree), so a flood of large distinct documents cannot grow the gateway's heap.
 */
import { createHash } from 'node:crypto';
import { ApolloServerErrorCode } from '@apollo/server/errors';
import {
  GraphQLError,
  Kind,
  getOperationAST,
  getVariableValues,
  parse,
  specifiedRules,
  validate,
  visit,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLFormattedError,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { LRUCache } from 'lru-cache';
import { ErrorCode, HTTP_STATUS, maskError } from '../lib/errors.js';

/** Limits on one operation; docs/policies.md ("Operation limits") explains each. */
export interface OperationLimits {
  /** Lexical tokens in the document: bounds parsing, the first thing that runs. */
  maxTokens: number;
  /** Nested field levels after fragment expansion (a root field is level 1). */
  maxDepth: number;
  /** Fields after fragment expansion: what execution would resolve for each object. */
  maxFields: number;
  /** Aliased fields after fragment expansion: aliases are how one field is asked for many times. */
  maxAliases: number;
  /** Directives after fragment expansion: each one is work for validation and execution, and costs nothing to repeat. */
  maxDirectives: number;
}

export const OPERATION_LIMITS: Readonly<OperationLimits> = Object.freeze({
  maxTokens: 10_000,
  maxDepth: 15,
  maxFields: 2_000,
  maxAliases: 200,
  maxDirectives: 50,
});

/** The operation may not run: the HTTP status and the errors to answer with. */
export interface Rejection {
  status: number;
  errors: GraphQLFormattedError[];
}

/** An operation that passed every check, with its variables coerced. */
export interface CheckedOperation {
  document: DocumentNode;
  operation: OperationDefinitionNode;
  fragments: ReadonlyMap<string, FragmentDefinitionNode>;
  /** Variables coerced against their definitions, defaults applied. */
  variables: Record<string, unknown>;
  /** Names of the variables `@skip`/`@include` read, sorted. */
  directiveVariables: readonly string[];
  /** Approximate bytes the parsed document keeps alive (what caching it costs). */
  bytes: number;
}

interface ValidDocument {
  document: DocumentNode;
  fragments: ReadonlyMap<string, FragmentDefinitionNode>;
  directiveVariables: readonly string[];
  /** Approximate bytes the document keeps alive: its text and its syntax tree. */
  bytes: number;
}

/** The size of a selection set after fragment expansion. */
export interface OperationSize {
  depth: number;
  fields: number;
  aliases: number;
  directives: number;
}

/** Default memory budget of the checked-document cache, in (approximate) bytes. */
export const DOCUMENT_CACHE_BYTES = 64 * 1024 * 1024;
/**
 * Heap per lexical token of a parsed document (token object, AST node, location), measured
 * on dense operations: about 330 bytes. A document keeps its text alive too (its locations
 * point at it), so an entry costs its text plus this per token.
 */
const BYTES_PER_TOKEN = 350;
/** A cache entry's own cost: its 64-character key, the LRU bookkeeping, the entry object. */
export const CACHE_ENTRY_OVERHEAD_BYTES = 256;
const MAX_VALIDATION_ERRORS = 20;
/** graphql-js's own words when `maxTokens` stops the parser (16.x spells it "more that"). */
const TOKEN_LIMIT_MESSAGE = /Document contains more th(?:an|at) \d+ tokens/;

/** How full a size-bounded cache is, for tests and diagnostics. */
export interface CacheStats {
  entries: number;
  /** Approximate bytes held, as the cache's size calculation counts them. */
  bytes: number;
  maxBytes: number;
}

export class OperationChecker {
  private readonly documents: LRUCache<string, ValidDocument | Rejection>;

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly limits: Readonly<OperationLimits> = OPERATION_LIMITS,
    cacheBytes = DOCUMENT_CACHE_BYTES,
  ) {
    this.documents = new LRUCache({
      maxSize: cacheBytes,
      sizeCalculation: (entry) => CACHE_ENTRY_OVERHEAD_BYTES + ('errors' in entry ? JSON.stringify(entry.errors).length : entry.bytes),
    });
  }

  /**
   * Checks one request's operation; a Rejection means nothing may be executed. `queryHash`
   * is `hashQuery(query)`, passed when the caller has it already.
   */
  check(query: string, operationName: string | undefined, variables: unknown, queryHash = hashQuery(query)): CheckedOperation | Rejection {
    let valid = this.documents.get(queryHash);
    if (!valid) {
      valid = this.validDocument(query);
      this.documents.set(queryHash, valid);
    }
    if ('errors' in valid) return valid;
    const operation = getOperationAST(valid.document, operationName);
    if (!operation) {
      const message = operationName ? `Unknown operation named "${operationName}".` : 'Must provide operation name if query contains multiple operations.';
      return rejection(400, [{ message, extensions: { code: ApolloServerErrorCode.OPERATION_RESOLUTION_FAILURE } }]);
    }
    if (variables != null && (typeof variables !== 'object' || Array.isArray(variables))) {
      return rejection(HTTP_STATUS[ErrorCode.BadUserInput], [{ message: 'variables must be a JSON object', extensions: { code: ErrorCode.BadUserInput } }]);
    }
    const coerced = getVariableValues(this.schema, operation.variableDefinitions ?? [], (variables ?? {}) as Record<string, unknown>, {
      maxErrors: MAX_VALIDATION_ERRORS,
    });
    if (coerced.errors) {
      return rejection(
        HTTP_STATUS[ErrorCode.BadUserInput],
        coerced.errors.map((error) => formatted(error, ErrorCode.BadUserInput)),
      );
    }
    return { ...valid, operation, variables: coerced.coerced };
  }

  cacheStats(): CacheStats {
    return { entries: this.documents.size, bytes: this.documents.calculatedSize, maxBytes: this.documents.maxSize };
  }

  private validDocument(query: string): ValidDocument | Rejection {
    let document: DocumentNode;
    try {
      document = parse(query, { maxTokens: this.limits.maxTokens });
    } catch (error) {
      if (!(error instanceof GraphQLError)) throw error;
      if (TOKEN_LIMIT_MESSAGE.test(error.message)) {
        return tooLarge(ErrorCode.OperationTooManyTokens, `The operation has more than ${this.limits.maxTokens} tokens`, this.limits.maxTokens);
      }
      return rejection(400, [formatted(error, ApolloServerErrorCode.GRAPHQL_PARSE_FAILED)]);
    }
    // Measured before validation: some validation rules follow fragments, so they must not
    // meet an operation of exponential size.
    const size = measureDocument(document);
    if (size.depth > this.limits.maxDepth) {
      return tooLarge(ErrorCode.OperationTooDeep, `The operation nests fields ${size.depth} levels deep; the limit is ${this.limits.maxDepth}`, this.limits.maxDepth);
    }
    if (size.fields > this.limits.maxFields) {
      return tooLarge(ErrorCode.OperationTooLarge, `The operation asks for ${describe(size.fields)} fields once its fragments are expanded; the limit is ${this.limits.maxFields}`, this.limits.maxFields);
    }
    if (size.aliases > this.limits.maxAliases) {
      return tooLarge(ErrorCode.OperationTooManyAliases, `The operation uses ${describe(size.aliases)} aliases once its fragments are expanded; the limit is ${this.limits.maxAliases}`, this.limits.maxAliases);
    }
    if (size.directives > this.limits.maxDirectives) {
      return tooLarge(ErrorCode.OperationTooManyDirectives, `The operation uses ${describe(size.directives)} directives once its fragments are expanded; the limit is ${this.limits.maxDirectives}`, this.limits.maxDirectives);
    }
    const errors = validate(this.schema, document, specifiedRules, { maxErrors: MAX_VALIDATION_ERRORS });
    if (errors.length > 0) return rejection(400, errors.map((error) => formatted(error, ApolloServerErrorCode.GRAPHQL_VALIDATION_FAILED)));
    const fragments = new Map(
      document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((f) => [f.name.value, f]),
    );
    return { document, fragments, directiveVariables: directiveVariablesOf(document), bytes: documentBytes(query, document) };
  }
}

/** The cache key of a document: its SHA-256, so a cache holds 64 characters per entry, not the text. */
export function hashQuery(query: string): string {
  return createHash('sha256').update(query).digest('hex');
}

/** Approximate heap a parsed document keeps alive: its text plus a fixed cost per token (comments included). */
function documentBytes(query: string, document: DocumentNode): number {
  let tokens = 0;
  for (let token = document.loc?.startToken ?? null; token; token = token.next) tokens += 1;
  return query.length + tokens * BYTES_PER_TOKEN;
}

/**
 * The largest depth, field, alias and directive counts of any operation in `document`, as if its
 * fragments were expanded, in time linear in the document: each fragment is sized once.
 * Unknown and cyclic spreads count as empty (validation refuses them afterwards).
 */
export function measureDocument(document: DocumentNode): OperationSize {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const sized = new Map<string, OperationSize>();
  const sizing = new Set<string>();

  const fragmentSize = (name: string): OperationSize => {
    const known = sized.get(name);
    if (known) return known;
    const fragment = fragments.get(name);
    if (!fragment || sizing.has(name)) return EMPTY_SIZE;
    sizing.add(name);
    const size = setSize(fragment.selectionSet);
    sizing.delete(name);
    sized.set(name, size);
    return size;
  };

  const setSize = (set: SelectionSetNode): OperationSize => {
    let depth = 0;
    let fields = 0;
    let aliases = 0;
    let directives = 0;
    for (const selection of set.selections) {
      let inner: OperationSize;
      if (selection.kind === Kind.FIELD) {
        const below = selection.selectionSet ? setSize(selection.selectionSet) : EMPTY_SIZE;
        inner = { depth: below.depth + 1, fields: below.fields + 1, aliases: below.aliases + (selection.alias ? 1 : 0), directives: below.directives };
      } else {
        inner = selection.kind === Kind.INLINE_FRAGMENT ? setSize(selection.selectionSet) : fragmentSize(selection.name.value);
      }
      depth = Math.max(depth, inner.depth);
      fields += inner.fields;
      aliases += inner.aliases;
      // A selection's own directives (on the field, the inline fragment or the spread) count where it is used.
      directives += inner.directives + (selection.directives?.length ?? 0);
    }
    return { depth, fields, aliases, directives };
  };

  const total = { depth: 0, fields: 0, aliases: 0, directives: 0 };
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    const size = setSize(definition.selectionSet);
    total.depth = Math.max(total.depth, size.depth);
    total.fields = Math.max(total.fields, size.fields);
    total.aliases = Math.max(total.aliases, size.aliases);
    total.directives = Math.max(total.directives, size.directives + (definition.directives?.length ?? 0));
  }
  return total;
}

const EMPTY_SIZE: OperationSize = Object.freeze({ depth: 0, fields: 0, aliases: 0, directives: 0 });

function directiveVariablesOf(document: DocumentNode): string[] {
  const names = new Set<string>();
  visit(document, {
    Directive(node) {
      if (node.name.value !== 'skip' && node.name.value !== 'include') return;
      for (const arg of node.arguments ?? []) if (arg.value.kind === Kind.VARIABLE) names.add(arg.value.name.value);
    },
  });
  return [...names].sort();
}

/** Counts can exceed 2^53 (or reach Infinity) for a fragment bomb: say so plainly. */
function describe(count: number): string {
  return count > 1e9 ? 'more than a billion' : String(count);
}

function formatted(error: GraphQLError, code: string): GraphQLFormattedError {
  const json = error.toJSON();
  // maskError drops the "Did you mean …?" hints, which would name fields the caller may not see.
  return maskError({ message: json.message, ...(json.locations ? { locations: json.locations } : {}), extensions: { code } });
}

type SizeCode =
  | ErrorCode.OperationTooLarge
  | ErrorCode.OperationTooManyTokens
  | ErrorCode.OperationTooManyAliases
  | ErrorCode.OperationTooManyDirectives
  | ErrorCode.OperationTooDeep;

function tooLarge(code: SizeCode, message: string, limit: number): Rejection {
  return rejection(HTTP_STATUS[code], [{ message, extensions: { code, limit } }]);
}

function rejection(status: number, errors: GraphQLFormattedError[]): Rejection {
  return { status, errors };
}
