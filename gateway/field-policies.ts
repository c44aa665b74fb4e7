/**
 * Field policies, applied before planning: the operation is walked against the supergraph
 * and every field the caller may not read is removed, so no subgraph is ever asked for it.
 * After execution each removed field is put back as `null` (on the nearest nullable
 * position, as GraphQL's null propagation would) with an error carrying its path and code.
 *
 * Fragments are inlined during the walk so that a field's policy is judged in the type it is
 * read from; `@skip`/`@include` are evaluated with the request's variables; aliases are kept.
 * The analysis of a (query, operation, caller's rights, directive variables) is cached.
 */
import {
  GraphQLError,
  Kind,
  buildASTSchema,
  getNamedType,
  isAbstractType,
  isInterfaceType,
  isNonNullType,
  isObjectType,
  parse,
  print,
  visit,
  type DirectiveNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionNode,
  type SelectionSetNode,
} from 'graphql';
import { evaluatePolicy, type PolicyDenial } from '../lib/policy/evaluate.js';
import { policyMapOf, type PolicyMap } from '../lib/policy/spec.js';
import type { TenantContext } from '../lib/tenant-context.js';

type Caller = Pick<TenantContext, 'access' | 'roles' | 'scopes' | 'entitlements' | 'purpose' | 'breakGlass'>;

interface Removal {
  /** Response keys from the root to the removed field. */
  path: string[];
  /** Response keys to the position that becomes null (the field, or its nearest nullable ancestor). */
  nullPath: string[];
  denial: PolicyDenial;
}

export interface PolicyPlan {
  /** The query to execute: the original text when nothing was removed. */
  query: string;
  removals: Removal[];
  /** Positions where `__typename` was added so a selection would not be empty; removed again after. */
  placeholders: string[][];
  /** Every requested field was removed: refuse the operation. */
  refused: boolean;
}

const UNCHANGED = (query: string): PolicyPlan => ({ query, removals: [], placeholders: [], refused: false });
const PLACEHOLDER_KEY = '__caregraph_placeholder';
const MAX_ERRORS_PER_FIELD = 25;
const CACHE_SIZE = 2_000;

export class FieldPolicies {
  private readonly schema: GraphQLSchema;
  private readonly policies: PolicyMap;
  private readonly documents = new Map<string, { document: DocumentNode; directiveVariables: string[] } | null>();
  private readonly plans = new Map<string, PolicyPlan>();

  constructor(supergraphSdl: string) {
    const document = parse(supergraphSdl);
    this.schema = buildASTSchema(document, { assumeValidSDL: true });
    this.policies = policyMapOf(document);
  }

  /** Plans the policy edits for one request. */
  plan(query: string, operationName: string | undefined, variables: Record<string, unknown> | undefined, caller: Caller): PolicyPlan {
    const parsed = this.parsed(query);
    // Unparseable: leave it to the server, which answers with a parse error and executes nothing.
    if (!parsed) return UNCHANGED(query);
    const directiveValues = parsed.directiveVariables.map((name) => JSON.stringify(variables?.[name] ?? null)).join(',');
    const key = `${callerKey(caller)}\u0000${operationName ?? ''}\u0000${directiveValues}\u0000${query}`;
    let plan = this.plans.get(key);
    if (!plan) {
      plan = this.compute(query, parsed.document, operationName, variables ?? {}, caller);
      if (this.plans.size >= CACHE_SIZE) this.plans.delete(this.plans.keys().next().value!);
      this.plans.set(key, plan);
    }
    return plan;
  }

  private parsed(query: string) {
    let entry = this.documents.get(query);
    if (entry === undefined) {
      try {
        const document = parse(query);
        const directiveVariables = new Set<string>();
        visit(document, {
          Directive(node) {
            if (node.name.value !== 'skip' && node.name.value !== 'include') return;
            for (const arg of node.arguments ?? []) if (arg.value.kind === Kind.VARIABLE) directiveVariables.add(arg.value.name.value);
          },
        });
        entry = { document, directiveVariables: [...directiveVariables].sort() };
      } catch {
        entry = null;
      }
      if (this.documents.size >= CACHE_SIZE) this.documents.delete(this.documents.keys().next().value!);
      this.documents.set(query, entry);
    }
    return entry;
  }

  private compute(
    query: string,
    document: DocumentNode,
    operationName: string | undefined,
    variables: Record<string, unknown>,
    caller: Caller,
  ): PolicyPlan {
    const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
    const operation = operationName ? operations.find((o) => o.name?.value === operationName) : operations.length === 1 ? operations[0] : undefined;
    const root =
      operation?.operation === 'query' ? this.schema.getQueryType() : operation?.operation === 'mutation' ? this.schema.getMutationType() : undefined;
    // Not found or not ours to judge (e.g. a subscription): the server answers the error.
    if (!operation || !root) return UNCHANGED(query);

    const fragments = new Map(
      document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((f) => [f.name.value, f]),
    );
    const walk = new Walk(this.schema, this.policies, caller, variables, fragments);
    const selectionSet = walk.selectionSet(operation.selectionSet, root, [], []);
    if (walk.removals.length === 0) return UNCHANGED(query);
    if (selectionSet.selections.length === 0) return { query, removals: walk.removals, placeholders: [], refused: true };

    const pruned: OperationDefinitionNode = { ...operation, selectionSet };
    const used = usedVariables(pruned);
    const rewritten: OperationDefinitionNode = {
      ...pruned,
      variableDefinitions: operation.variableDefinitions?.filter((v) => used.has(v.variable.name.value)),
    };
    return { query: print({ kind: Kind.DOCUMENT, definitions: [rewritten] }), removals: walk.removals, placeholders: walk.placeholders, refused: false };
  }
}

class Walk {
  readonly removals: Removal[] = [];
  readonly placeholders: string[][] = [];

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly policies: PolicyMap,
    private readonly caller: Caller,
    private readonly variables: Record<string, unknown>,
    private readonly fragments: Map<string, FragmentDefinitionNode>,
    private readonly spreading = new Set<string>(),
  ) {}

  /**
   * Returns the selection set with denied fields removed. `nullPath` is where a null lands
   * when a non-null child is removed.
   */
  selectionSet(set: SelectionSetNode, parent: GraphQLCompositeType, path: string[], nullPath: string[]): SelectionSetNode {
    const kept: SelectionNode[] = [];
    for (const selection of set.selections) {
      if (!this.included(selection.directives)) continue;
      if (selection.kind === Kind.FIELD) {
        const field = this.field(selection, parent, path, nullPath);
        if (field) kept.push(field);
        continue;
      }
      const fragment = selection.kind === Kind.FRAGMENT_SPREAD ? this.fragments.get(selection.name.value) : undefined;
      if (selection.kind === Kind.FRAGMENT_SPREAD && (!fragment || this.spreading.has(selection.name.value))) {
        kept.push(selection); // unknown or cyclic: validation rejects it later
        continue;
      }
      const typeCondition = selection.kind === Kind.INLINE_FRAGMENT ? selection.typeCondition : fragment!.typeCondition;
      const inner = selection.kind === Kind.INLINE_FRAGMENT ? selection.selectionSet : fragment!.selectionSet;
      const narrowed = typeCondition ? (this.schema.getType(typeCondition.name.value) as GraphQLCompositeType | undefined) : parent;
      if (!narrowed) {
        kept.push(selection);
        continue;
      }
      if (fragment) this.spreading.add(fragment.name.value);
      const walked = this.selectionSet(inner, narrowed, path, nullPath);
      if (fragment) this.spreading.delete(fragment.name.value);
      // Fragments are inlined, so each field is judged (and its path known) where it is spread.
      if (walked.selections.length > 0) {
        kept.push({
          kind: Kind.INLINE_FRAGMENT,
          typeCondition,
          directives: selection.kind === Kind.INLINE_FRAGMENT ? selection.directives : [],
          selectionSet: walked,
        });
      }
    }
    return { kind: Kind.SELECTION_SET, selections: kept };
  }

  private field(node: FieldNode, parent: GraphQLCompositeType, path: string[], nullPath: string[]): FieldNode | undefined {
    const name = node.name.value;
    if (name.startsWith('__')) return node;
    const definition = fieldOf(parent, name);
    if (!definition) return node; // unknown field: validation rejects it later
    const responseKey = node.alias?.value ?? name;
    const fieldPath = [...path, responseKey];
    const nullable = !isNonNullType(definition.type);

    const denial = this.denial(parent, name);
    if (denial) {
      this.removals.push({ path: fieldPath, nullPath: nullable ? fieldPath : nullPath, denial });
      return undefined;
    }
    if (!node.selectionSet) return node;
    const childNullPath = nullable ? fieldPath : nullPath;
    // List items are treated as non-null positions: a removed non-null child nulls the whole list field.
    const walked = this.selectionSet(node.selectionSet, getNamedType(definition.type) as GraphQLCompositeType, fieldPath, childNullPath);
    if (walked.selections.length === 0) {
      this.placeholders.push(fieldPath);
      return { ...node, selectionSet: placeholderSelection() };
    }
    return { ...node, selectionSet: walked };
  }

  /** The first refusal for reading `parent.name`; for abstract types, any possible type refusing counts. */
  private denial(parent: GraphQLCompositeType, name: string): PolicyDenial | undefined {
    const types: readonly GraphQLCompositeType[] = isAbstractType(parent) ? [parent, ...this.schema.getPossibleTypes(parent)] : [parent];
    for (const type of types) {
      const decision = evaluatePolicy(this.policies.get(`${type.name}.${name}`), this.caller);
      if (!decision.allowed) return decision.denial;
    }
    return undefined;
  }

  private included(directives: readonly DirectiveNode[] | undefined): boolean {
    for (const directive of directives ?? []) {
      const name = directive.name.value;
      if (name !== 'skip' && name !== 'include') continue;
      const arg = directive.arguments?.find((a) => a.name.value === 'if');
      const value =
        arg?.value.kind === Kind.BOOLEAN ? arg.value.value : arg?.value.kind === Kind.VARIABLE ? Boolean(this.variables[arg.value.name.value]) : true;
      if (name === 'skip' && value) return false;
      if (name === 'include' && !value) return false;
    }
    return true;
  }
}

function fieldOf(parent: GraphQLCompositeType, name: string): GraphQLField<unknown, unknown> | undefined {
  return isObjectType(parent) || isInterfaceType(parent) ? (parent as GraphQLObjectType).getFields()[name] : undefined;
}

function placeholderSelection(): SelectionSetNode {
  return {
    kind: Kind.SELECTION_SET,
    selections: [{ kind: Kind.FIELD, alias: { kind: Kind.NAME, value: PLACEHOLDER_KEY }, name: { kind: Kind.NAME, value: '__typename' } }],
  };
}

function usedVariables(operation: OperationDefinitionNode): Set<string> {
  const used = new Set<string>();
  visit(operation.selectionSet, {
    Variable(node) {
      used.add(node.name.value);
    },
  });
  return used;
}

function callerKey(caller: Caller): string {
  return [
    caller.access,
    [...caller.roles].sort().join(','),
    [...caller.scopes].sort().join(','),
    [...caller.entitlements].sort().join(','),
    caller.breakGlass && caller.purpose ? 'break-glass' : '',
  ].join('|');
}

export interface GraphQLResultBody {
  data?: Record<string, unknown> | null;
  errors?: unknown[];
  [key: string]: unknown;
}

/**
 * Puts the removed fields back as nulls, with one error per occurrence (up to a bound per
 * field), and deletes the placeholders.
 */
export function applyPolicyPlan(result: GraphQLResultBody, plan: PolicyPlan): GraphQLResultBody {
  const policyErrors = plan.removals.flatMap((removal) => errorsFor(result.data, removal));
  let data = result.data;
  if (data) {
    for (const path of plan.placeholders) forEachParent(data, path, (object, key) => {
      const child = object[key];
      if (child && typeof child === 'object') forEachObject(child, (item) => delete item[PLACEHOLDER_KEY]);
    });
    for (const removal of plan.removals) {
      if (removal.nullPath.length === 0) {
        data = null;
        break;
      }
      forEachParent(data, removal.nullPath, (object, key) => {
        object[key] = null;
      });
    }
  }
  return { ...result, data, errors: [...policyErrors, ...(result.errors ?? [])] };
}

function errorsFor(data: Record<string, unknown> | null | undefined, removal: Removal): GraphQLError[] {
  const paths: (string | number)[][] = [];
  if (data) collectPaths(data, removal.path, 0, [], paths);
  if (paths.length === 0) paths.push(removal.path); // the parent was null: report the field by its keys
  const shown = paths.slice(0, MAX_ERRORS_PER_FIELD);
  return shown.map(
    (path) =>
      new GraphQLError(removal.denial.message, {
        path,
        extensions: { code: removal.denial.code, ...(paths.length > shown.length ? { occurrences: paths.length } : {}) },
      }),
  );
}

/** Concrete paths (with list indices) of every object that holds the field at `keys`. */
function collectPaths(value: unknown, keys: string[], depth: number, prefix: (string | number)[], out: (string | number)[][]): void {
  if (out.length > MAX_ERRORS_PER_FIELD) return;
  if (Array.isArray(value)) {
    value.forEach((item, index) => collectPaths(item, keys, depth, [...prefix, index], out));
    return;
  }
  if (!value || typeof value !== 'object') return;
  const key = keys[depth]!;
  if (depth === keys.length - 1) {
    out.push([...prefix, key]);
    return;
  }
  collectPaths((value as Record<string, unknown>)[key], keys, depth + 1, [...prefix, key], out);
}

/** Calls `fn(parent, lastKey)` for every object reached by following `keys` (through lists) but the last. */
function forEachParent(value: unknown, keys: string[], fn: (object: Record<string, unknown>, key: string) => void, depth = 0): void {
  if (Array.isArray(value)) {
    for (const item of value) forEachParent(item, keys, fn, depth);
    return;
  }
  if (!value || typeof value !== 'object') return;
  const object = value as Record<string, unknown>;
  if (depth === keys.length - 1) {
    fn(object, keys[depth]!);
    return;
  }
  forEachParent(object[keys[depth]!], keys, fn, depth + 1);
}

function forEachObject(value: unknown, fn: (object: Record<string, unknown>) => void): void {
  if (Array.isArray(value)) value.forEach((item) => forEachObject(item, fn));
  else if (value && typeof value === 'object') fn(value as Record<string, unknown>);
}
