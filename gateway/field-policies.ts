/**
 * Field policies, applied before planning: every field the caller may not read is removed
 * from the operation, so no subgraph is ever asked for it, and after execution put back as
 * `null` with an error (gateway/policy-result.ts).
 *
 * The operation is first checked (gateway/operation-check.ts): parsed with a token limit,
 * measured against the operation limits, validated, its variables coerced. The walk is then
 * linear in the document. A fragment's type condition is fixed, so what it may keep does not
 * depend on where it is spread: each fragment definition is judged once and kept, pruned, in
 * the rewritten query; spreads of fragments left empty are dropped, and a field whose
 * selection was emptied gets a `__typename` placeholder. Denied fields are removed whether or
 * not `@skip`/`@include` would run them; which removals are reported depends on the coerced
 * variables. Introspection (`__schema`, `__type`) is answered on its own, from the caller's view
 * of the schema (gateway/introspection.ts): in an operation that also reads data it is removed.
 *
 * The analysis of a (query, operation, caller's rights, directive variables) is cached, keyed
 * by a SHA-256 and bounded by an estimate of the bytes each plan keeps alive.
 */
import { createHash } from 'node:crypto';
import {
  Kind,
  OperationTypeNode,
  getNamedType,
  isAbstractType,
  parse,
  print,
  visit,
  type ASTNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionNode,
  type SelectionSetNode,
} from 'graphql';
import { LRUCache } from 'lru-cache';
import { IntrospectionDisabledError } from '../lib/errors.js';
import { apiSchemaOf } from '../lib/federation/api-schema.js';
import { evaluatePolicy } from '../lib/policy/evaluate.js';
import { policyMapOf, type PolicyMap } from '../lib/policy/spec.js';
import type { TenantContext } from '../lib/tenant-context.js';
import {
  CACHE_ENTRY_OVERHEAD_BYTES,
  DOCUMENT_CACHE_BYTES,
  OperationChecker,
  hashQuery,
  type CacheStats,
  type CheckedOperation,
  type OperationLimits,
  type Rejection,
} from './operation-check.js';
import {
  MAX_POLICY_ERRORS,
  PLACEHOLDER_KEY,
  fieldDefinition,
  included,
  removalPatterns,
  type Denial,
  type Removal,
  type ResultGuide,
} from './policy-result.js';

export { applyPolicyPlan, MAX_POLICY_ERRORS, type GraphQLResultBody, type Removal } from './policy-result.js';

type Caller = Pick<TenantContext, 'access' | 'roles' | 'scopes' | 'entitlements' | 'purpose' | 'breakGlass' | 'breakGlassGrant'>;

export interface PolicyPlan {
  /** The query to execute: the original text when nothing was removed. */
  query: string;
  /** Denied path patterns the operation reaches (with its variables), in document order, at most MAX_POLICY_ERRORS. */
  removals: Removal[];
  /** Nothing the operation runs may be read: refuse it (403) and execute nothing. */
  refused: boolean;
  /** The operation may not run at all (invalid, over a limit, bad variables): answer this. */
  rejection?: Rejection;
  /** What applyPolicyPlan needs to put the removed fields back; absent when nothing was removed. */
  guide?: ResultGuide;
}

/** A plan as cached: without the request's own query text, which the cache must not keep alive. */
type CachedPlan = Omit<PolicyPlan, 'query' | 'rejection'> & {
  /** The rewritten query; absent when the original is executed unchanged. */
  rewritten?: string;
  /** Approximate bytes the plan keeps alive: the rewritten text, and the parsed document its guide points into. */
  bytes: number;
};

export interface FieldPolicyOptions {
  limits?: OperationLimits;
  /** Memory budgets, in approximate bytes, of the checked-document cache and of the plan cache. */
  cacheBytes?: { documents?: number; plans?: number };
}

const UNCHANGED = (query: string): PolicyPlan => ({ query, removals: [], refused: false });
/** Default memory budget of the plan cache, in approximate bytes. */
const PLAN_CACHE_BYTES = 32 * 1024 * 1024;
/** A reported removal: its path, its denial (shared with the policy map), the array holding them. */
const BYTES_PER_REMOVAL = 200;
const NOTHING_REMOVED: Omit<CachedPlan, 'bytes'> = Object.freeze({ removals: [], refused: false });
const INTROSPECTION_FIELDS = new Set(['__schema', '__type']);
const introspectionDisabled = new IntrospectionDisabledError();
const INTROSPECTION_DENIAL: Denial = { code: introspectionDisabled.code, message: introspectionDisabled.message };

export class FieldPolicies {
  /** The API schema clients see (without federation machinery). */
  readonly schema: GraphQLSchema;
  /** The policy of every field, read from the schema's directives. */
  readonly policies: PolicyMap;
  private readonly checker: OperationChecker;
  private readonly plans: LRUCache<string, CachedPlan>;

  /** `sdl`: the supergraph (its API schema is what clients see), or a plain schema in tests. */
  constructor(sdl: string, options: FieldPolicyOptions = {}) {
    const document = parse(sdl);
    this.schema = apiSchemaOf(sdl, document);
    this.policies = policyMapOf(document);
    this.checker = new OperationChecker(this.schema, options.limits, options.cacheBytes?.documents ?? DOCUMENT_CACHE_BYTES);
    this.plans = new LRUCache({ maxSize: options.cacheBytes?.plans ?? PLAN_CACHE_BYTES, sizeCalculation: (plan) => plan.bytes });
  }

  /**
   * Parses, measures, validates and coerces the operation (cached by `queryHash`): what `plan`
   * does first, for the steps that must see the document before the walk (introspection, the
   * partner contract).
   */
  check(query: string, operationName: string | undefined, variables: unknown, queryHash = hashQuery(query)): CheckedOperation | Rejection {
    return this.checker.check(query, operationName, variables, queryHash);
  }

  /** Checks the operation and plans the policy edits for one request; `queryHash` is `hashQuery(query)`, passed when the caller has it already. */
  plan(query: string, operationName: string | undefined, variables: unknown, caller: Caller, queryHash = hashQuery(query)): PolicyPlan {
    const checked = this.checker.check(query, operationName, variables, queryHash);
    if ('errors' in checked) return { ...UNCHANGED(query), rejection: checked };
    const directiveValues = checked.directiveVariables.map((name) => JSON.stringify(checked.variables[name] ?? null)).join(',');
    // Hashed whole: the operation name and the caller's rights are as unbounded as the query.
    const key = createHash('sha256').update(`${callerKey(caller)}\u0000${operationName ?? ''}\u0000${directiveValues}\u0000${queryHash}`).digest('hex');
    let cached = this.plans.get(key);
    if (!cached) {
      cached = this.compute(checked, caller);
      this.plans.set(key, cached);
    }
    const { rewritten, bytes: _bytes, ...plan } = cached;
    return { query: rewritten ?? query, ...plan };
  }

  /** How full the two caches are (tests, diagnostics). */
  cacheStats(): { documents: CacheStats; plans: CacheStats } {
    return {
      documents: this.checker.cacheStats(),
      plans: { entries: this.plans.size, bytes: this.plans.calculatedSize, maxBytes: this.plans.maxSize },
    };
  }

  private compute(checked: CheckedOperation, caller: Caller): CachedPlan {
    const plan = this.analyse(checked, caller);
    const bytes =
      CACHE_ENTRY_OVERHEAD_BYTES +
      (plan.rewritten?.length ?? 0) +
      // The guide points into the parsed document, which stays alive as long as the plan.
      (plan.guide ? checked.bytes + plan.removals.length * BYTES_PER_REMOVAL : 0);
    return { ...plan, bytes };
  }

  private analyse(checked: CheckedOperation, caller: Caller): Omit<CachedPlan, 'bytes'> {
    const { operation, fragments } = checked;
    const root =
      operation.operation === OperationTypeNode.QUERY
        ? this.schema.getQueryType()
        : operation.operation === OperationTypeNode.MUTATION
          ? this.schema.getMutationType()
          : this.schema.getSubscriptionType();
    if (!root) return NOTHING_REMOVED;

    const walk = new Walk(this.schema, this.policies, caller, fragments);
    const selectionSet = walk.selectionSet(operation.selectionSet, root);
    if (walk.removed.size === 0) return NOTHING_REMOVED;

    const guide: ResultGuide = {
      schema: this.schema,
      rootType: root,
      operation,
      fragments,
      removed: walk.removed,
      affected: walk.affected,
      // Only what @skip/@include read: the plan is cached, and other variables may hold PHI.
      variables: Object.fromEntries(checked.directiveVariables.filter((name) => name in checked.variables).map((name) => [name, checked.variables[name]])),
    };
    const removals = removalPatterns(guide, MAX_POLICY_ERRORS);
    const runs = selectionSet.selections.some((selection) => included(selection, guide.variables));
    if (!runs && removals.length > 0) return { removals, refused: true, guide };
    const rootSet = selectionSet.selections.length > 0 ? selectionSet : withPlaceholder([]);
    return { rewritten: print(rewritten(checked.document, operation, rootSet, walk)), removals, refused: false, guide };
  }
}

/** Prunes selection sets, each fragment definition once; records what it removed and where. */
class Walk {
  readonly removed = new Map<FieldNode, Denial>();
  readonly affected = new Set<SelectionSetNode>();
  private readonly pruned = new Map<string, FragmentDefinitionNode | null>();

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly policies: PolicyMap,
    private readonly caller: Caller,
    private readonly fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  ) {}

  /** The fragment with denied fields removed, or null when nothing of it is left. */
  fragment(name: string): FragmentDefinitionNode | null {
    const known = this.pruned.get(name);
    if (known !== undefined) return known;
    const definition = this.fragments.get(name)!;
    // Validation refused cycles; should one get here, the spread is dropped rather than followed.
    this.pruned.set(name, null);
    const set = this.selectionSet(definition.selectionSet, this.schema.getType(definition.typeCondition.name.value) as GraphQLCompositeType);
    const result = set.selections.length === 0 ? null : set === definition.selectionSet ? definition : { ...definition, selectionSet: set };
    this.pruned.set(name, result);
    return result;
  }

  /** The selection set with denied fields removed (the same node when nothing changed). */
  selectionSet(set: SelectionSetNode, parent: GraphQLCompositeType): SelectionSetNode {
    const kept: SelectionNode[] = [];
    let affected = false;
    for (const selection of set.selections) {
      let node: SelectionNode | undefined;
      if (selection.kind === Kind.FIELD) {
        node = this.field(selection, parent);
        affected ||= this.removed.has(selection) || (selection.selectionSet !== undefined && this.affected.has(selection.selectionSet));
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? (this.schema.getType(selection.typeCondition.name.value) as GraphQLCompositeType) : parent;
        const inner = this.selectionSet(selection.selectionSet, type);
        node = inner.selections.length === 0 ? undefined : inner === selection.selectionSet ? selection : { ...selection, selectionSet: inner };
        affected ||= this.affected.has(selection.selectionSet);
      } else {
        node = this.fragment(selection.name.value) ? selection : undefined;
        affected ||= this.affected.has(this.fragments.get(selection.name.value)!.selectionSet);
      }
      if (node) kept.push(node);
    }
    if (affected) this.affected.add(set);
    const unchanged = kept.length === set.selections.length && kept.every((node, index) => node === set.selections[index]);
    return unchanged ? set : { kind: Kind.SELECTION_SET, selections: kept };
  }

  private field(node: FieldNode, parent: GraphQLCompositeType): FieldNode | undefined {
    const name = node.name.value;
    if (INTROSPECTION_FIELDS.has(name)) {
      this.removed.set(node, INTROSPECTION_DENIAL);
      return undefined;
    }
    const definition = fieldDefinition(this.schema, parent, name);
    if (name.startsWith('__') || !definition) return node;
    const denial = this.denial(parent, name);
    if (denial) {
      this.removed.set(node, denial);
      return undefined;
    }
    if (!node.selectionSet) return node;
    const type = getNamedType(definition.type) as GraphQLCompositeType;
    const inner = this.selectionSet(node.selectionSet, type);
    if (!this.affected.has(node.selectionSet)) return inner === node.selectionSet ? node : { ...node, selectionSet: inner };
    // Below a removal the result walk must know each object's type (to tell which
    // type-conditioned selections applied to it), and an emptied selection needs a field.
    return { ...node, selectionSet: inner.selections.length === 0 || isAbstractType(type) ? withPlaceholder(inner.selections) : inner };
  }

  /** The first refusal for reading `parent.name`; for abstract types, any possible type refusing counts. */
  private denial(parent: GraphQLCompositeType, name: string): Denial | undefined {
    const types: readonly GraphQLCompositeType[] = isAbstractType(parent) ? [parent, ...this.schema.getPossibleTypes(parent)] : [parent];
    for (const type of types) {
      const decision = evaluatePolicy(this.policies.get(`${type.name}.${name}`), this.caller);
      if (!decision.allowed) return decision.denial;
    }
    return undefined;
  }
}

/** The document to execute: the pruned operation, the pruned fragments it spreads, the variables it uses. */
function rewritten(document: DocumentNode, operation: OperationDefinitionNode, selectionSet: SelectionSetNode, walk: Walk): DocumentNode {
  const spread = new Set<string>();
  const used = new Set<string>();
  const collect = (node: ASTNode) =>
    visit(node, {
      Variable(variable) {
        used.add(variable.name.value);
      },
      FragmentSpread(fragmentSpread) {
        const name = fragmentSpread.name.value;
        if (spread.has(name)) return;
        spread.add(name);
        collect(walk.fragment(name)!.selectionSet);
      },
    });
  collect(selectionSet);
  for (const directive of operation.directives ?? []) collect(directive);
  const fragments = document.definitions
    .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION && spread.has(d.name.value))
    .map((d) => walk.fragment(d.name.value)!);
  const pruned: OperationDefinitionNode = {
    ...operation,
    selectionSet,
    variableDefinitions: operation.variableDefinitions?.filter((v) => used.has(v.variable.name.value)),
  };
  return { kind: Kind.DOCUMENT, definitions: [pruned, ...fragments] };
}

function withPlaceholder(selections: readonly SelectionNode[]): SelectionSetNode {
  const placeholder: FieldNode = {
    kind: Kind.FIELD,
    alias: { kind: Kind.NAME, value: PLACEHOLDER_KEY },
    name: { kind: Kind.NAME, value: '__typename' },
  };
  return { kind: Kind.SELECTION_SET, selections: [...selections, placeholder] };
}

/**
 * The schema clients see: for a supergraph, its API schema (without the join and link
 * machinery or anything @inaccessible); for a plain schema (tests), the schema itself.
 */
function callerKey(caller: Caller): string {
  return [
    caller.access,
    [...caller.roles].sort().join(','),
    [...caller.scopes].sort().join(','),
    [...caller.entitlements].sort().join(','),
    caller.breakGlass && caller.purpose ? `break-glass:${caller.breakGlassGrant?.id ?? ''}:${caller.breakGlassGrant?.expiresAt ?? ''}` : '',
  ].join('|');
}
