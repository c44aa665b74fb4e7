/**
 * The result side of the field policies: which denied fields a client is told about, and
 * putting them back into a result as `null`.
 *
 * Both walks follow the original operation (fragments included, never expanded) and enter
 * only the selection sets that hold a removed field. The result walk is guided by the data:
 * each object is visited once per selection set that applies to it, so its cost is bounded
 * by the size of the result, not by how many ways a fragment can be reached.
 *
 * Errors are reported once per denied *path pattern* (response keys without list indices),
 * with the first concrete path and `extensions.occurrences` when there were more, and at
 * most MAX_POLICY_ERRORS per response.
 */
import {
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  Kind,
  SchemaMetaFieldDef,
  TypeMetaFieldDef,
  TypeNameMetaFieldDef,
  getDirectiveValues,
  getNamedType,
  isAbstractType,
  isInterfaceType,
  isNonNullType,
  isObjectType,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLFormattedError,
  type GraphQLObjectType,
  type GraphQLSchema,
  type InlineFragmentNode,
  type OperationDefinitionNode,
  type SelectionNode,
  type SelectionSetNode,
} from 'graphql';
import type { ErrorCode } from '../lib/errors.js';

/** Most policy errors one response carries; further denied fields are nulled without one. */
export const MAX_POLICY_ERRORS = 50;

/** Alias of the `__typename` the rewrite adds where it must know an object's type or fill an emptied selection. */
export const PLACEHOLDER_KEY = '__caregraph_placeholder';

/** Why a field was removed: a policy denial, or introspection by someone who is not platform staff. */
export interface Denial {
  code: ErrorCode;
  message: string;
}

/** A denied field as the client is told about it. */
export interface Removal {
  /** Response keys from the root to the removed field: its path pattern, without list indices. */
  path: string[];
  /** Response keys to the position that becomes null (the field, or its nearest nullable ancestor). */
  nullPath: string[];
  denial: Denial;
}

/** What the walks need to find removed fields: the original operation and what was removed from it. */
export interface ResultGuide {
  schema: GraphQLSchema;
  rootType: GraphQLObjectType;
  operation: OperationDefinitionNode;
  fragments: ReadonlyMap<string, FragmentDefinitionNode>;
  removed: ReadonlyMap<FieldNode, Denial>;
  /** Selection sets (of the original document) holding a removed field, directly or below. */
  affected: ReadonlySet<SelectionSetNode>;
  /** Coerced values of the variables `@skip`/`@include` read. */
  variables: Readonly<Record<string, unknown>>;
}

export interface GraphQLResultBody {
  data?: Record<string, unknown> | null;
  errors?: unknown[];
  [key: string]: unknown;
}

/** Whether `@skip`/`@include` let a selection run, exactly as execution decides it. */
export function included(node: SelectionNode, variables: Readonly<Record<string, unknown>>): boolean {
  if (!node.directives?.length) return true;
  if (getDirectiveValues(GraphQLSkipDirective, node, variables)?.if === true) return false;
  return getDirectiveValues(GraphQLIncludeDirective, node, variables)?.if !== false;
}

/** The definition of `parent.name`, meta fields included. */
export function fieldDefinition(schema: GraphQLSchema, parent: GraphQLCompositeType, name: string): GraphQLField<unknown, unknown> | undefined {
  if (name === TypeNameMetaFieldDef.name) return TypeNameMetaFieldDef;
  if (parent === schema.getQueryType() && name === SchemaMetaFieldDef.name) return SchemaMetaFieldDef;
  if (parent === schema.getQueryType() && name === TypeMetaFieldDef.name) return TypeMetaFieldDef;
  return isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[name] : undefined;
}

/**
 * The denied path patterns an included selection reaches, in document order, at most `limit`.
 * Each (selection set, path) pair is entered once, so a fragment spread twice at the same
 * place is followed once.
 */
export function removalPatterns(guide: ResultGuide, limit = MAX_POLICY_ERRORS): Removal[] {
  const found = new Map<string, Removal>();
  const entered = new Set<string>();
  const ids = new Map<SelectionSetNode, number>();
  const walk = (set: SelectionSetNode, type: GraphQLCompositeType, path: string[], nullPath: string[]): void => {
    if (found.size >= limit) return;
    let id = ids.get(set);
    if (id === undefined) ids.set(set, (id = ids.size));
    const visit = `${id}|${path.join('.')}|${nullPath.length}`;
    if (entered.has(visit)) return;
    entered.add(visit);
    for (const selection of set.selections) {
      if (found.size >= limit) return;
      if (!included(selection, guide.variables)) continue;
      if (selection.kind !== Kind.FIELD) {
        const fragment = fragmentOf(guide, selection);
        if (guide.affected.has(fragment.selectionSet)) walk(fragment.selectionSet, conditionOf(guide, fragment, type), path, nullPath);
        continue;
      }
      const key = selection.alias?.value ?? selection.name.value;
      const fieldPath = [...path, key];
      const definition = fieldDefinition(guide.schema, type, selection.name.value);
      const nullable = !definition || !isNonNullType(definition.type);
      const denial = guide.removed.get(selection);
      if (denial) {
        const pattern = patternKey(fieldPath.join('.'), denial.code);
        if (!found.has(pattern)) found.set(pattern, { path: fieldPath, nullPath: nullable ? fieldPath : nullPath, denial });
      } else if (definition && selection.selectionSet && guide.affected.has(selection.selectionSet)) {
        walk(selection.selectionSet, getNamedType(definition.type) as GraphQLCompositeType, fieldPath, nullable ? fieldPath : nullPath);
      }
    }
  };
  walk(guide.operation.selectionSet, guide.rootType, [], []);
  return [...found.values()];
}

/**
 * Puts the removed fields back as nulls (on the nearest nullable position, list items
 * counting as non-null positions), deletes the placeholders, and adds one error per removal
 * pattern of the plan.
 */
export function applyPolicyPlan(result: GraphQLResultBody, plan: { removals: Removal[]; guide?: ResultGuide }): GraphQLResultBody {
  const seen = new Map<string, { path: (string | number)[]; count: number }>();
  let data = result.data;
  if (data && plan.guide) {
    const walk = new ResultWalk(plan.guide, seen);
    if (walk.object(data, plan.guide.operation.selectionSet, plan.guide.rootType, undefined, '')) data = null;
  }
  const policyErrors: GraphQLFormattedError[] = plan.removals.map((removal) => {
    const occurred = seen.get(patternKey(removal.path.join('.'), removal.denial.code));
    return {
      message: removal.denial.message,
      // Not found in the data (its parent is null, or nothing ran): reported by its keys.
      path: occurred?.path ?? removal.path,
      extensions: { code: removal.denial.code, ...(occurred && occurred.count > 1 ? { occurrences: occurred.count } : {}) },
    };
  });
  const { errors: executionErrors, ...rest } = result;
  const errors = [...policyErrors, ...(executionErrors ?? [])];
  return errors.length > 0 ? { ...rest, data, errors } : { ...rest, data };
}

/** A concrete response path, shared between siblings and only materialised when reported. */
interface Path {
  prev: Path | undefined;
  key: string | number;
}

interface ObjectVisit {
  /** The object's runtime type when known (its placeholder, or a static object type). */
  type: string | undefined;
  /** Selection sets already applied to this object, and whether each nulled the object. */
  sets: Map<SelectionSetNode, boolean>;
  /** Removed response keys already counted on this object. */
  counted: Set<string>;
}

class ResultWalk {
  private readonly visits = new WeakMap<object, ObjectVisit>();

  constructor(
    private readonly guide: ResultGuide,
    private readonly seen: Map<string, { path: (string | number)[]; count: number }>,
  ) {}

  /** Applies `set` to one object; true when a removed non-null field means the object itself becomes null. */
  object(object: Record<string, unknown>, set: SelectionSetNode, type: GraphQLCompositeType, path: Path | undefined, pattern: string): boolean {
    let visit = this.visits.get(object);
    if (!visit) {
      const placeholder = object[PLACEHOLDER_KEY];
      delete object[PLACEHOLDER_KEY];
      visit = { type: typeof placeholder === 'string' ? placeholder : isObjectType(type) ? type.name : undefined, sets: new Map(), counted: new Set() };
      this.visits.set(object, visit);
    }
    const done = visit.sets.get(set);
    if (done !== undefined) return done;
    visit.sets.set(set, false);
    let nulled = false;
    for (const selection of set.selections) {
      if (!included(selection, this.guide.variables)) continue;
      if (selection.kind === Kind.FIELD) {
        if (this.field(object, selection, type, path, pattern, visit)) nulled = true;
        continue;
      }
      const fragment = fragmentOf(this.guide, selection);
      if (!this.guide.affected.has(fragment.selectionSet)) continue;
      const condition = conditionOf(this.guide, fragment, type);
      if (!this.applies(condition, visit.type)) continue;
      if (this.object(object, fragment.selectionSet, condition, path, pattern)) nulled = true;
    }
    visit.sets.set(set, nulled);
    return nulled;
  }

  private field(object: Record<string, unknown>, node: FieldNode, type: GraphQLCompositeType, path: Path | undefined, pattern: string, visit: ObjectVisit): boolean {
    const key = node.alias?.value ?? node.name.value;
    const fieldPattern = pattern ? `${pattern}.${key}` : key;
    const definition = fieldDefinition(this.guide.schema, type, node.name.value);
    const nullable = !definition || !isNonNullType(definition.type);
    const denial = this.guide.removed.get(node);
    if (denial) {
      const counted = `${key}\u0000${denial.code}`;
      if (!visit.counted.has(counted)) {
        visit.counted.add(counted);
        this.count(patternKey(fieldPattern, denial.code), { prev: path, key });
      }
      if (!nullable) return true;
      object[key] = null;
      return false;
    }
    if (!definition || !node.selectionSet || !this.guide.affected.has(node.selectionSet)) return false;
    const value = object[key];
    if (value == null) return false;
    const inner = getNamedType(definition.type) as GraphQLCompositeType;
    if (!this.value(value, node.selectionSet, inner, { prev: path, key }, fieldPattern)) return false;
    if (!nullable) return true;
    object[key] = null;
    return false;
  }

  private value(value: unknown, set: SelectionSetNode, type: GraphQLCompositeType, path: Path, pattern: string): boolean {
    if (Array.isArray(value)) {
      // List items count as non-null positions: a nulled item nulls the whole list field.
      let nulled = false;
      value.forEach((item, index) => {
        if (this.value(item, set, type, { prev: path, key: index }, pattern)) nulled = true;
      });
      return nulled;
    }
    if (!value || typeof value !== 'object') return false;
    return this.object(value as Record<string, unknown>, set, type, path, pattern);
  }

  /** Whether a type condition holds for an object; unknown runtime types count as matching. */
  private applies(condition: GraphQLCompositeType, runtime: string | undefined): boolean {
    if (runtime === undefined || condition.name === runtime) return true;
    const type = this.guide.schema.getType(runtime);
    return isAbstractType(condition) && isObjectType(type) && this.guide.schema.isSubType(condition, type);
  }

  private count(pattern: string, path: Path): void {
    const known = this.seen.get(pattern);
    if (known) known.count += 1;
    else this.seen.set(pattern, { path: materialise(path), count: 1 });
  }
}

function fragmentOf(guide: ResultGuide, selection: Exclude<SelectionNode, FieldNode>): FragmentDefinitionNode | InlineFragmentNode {
  return selection.kind === Kind.INLINE_FRAGMENT ? selection : guide.fragments.get(selection.name.value)!;
}

function conditionOf(guide: ResultGuide, fragment: FragmentDefinitionNode | InlineFragmentNode, parent: GraphQLCompositeType): GraphQLCompositeType {
  return fragment.typeCondition ? (guide.schema.getType(fragment.typeCondition.name.value) as GraphQLCompositeType) : parent;
}

/** A removal as errors are counted: its response keys joined by dots (they never hold one), and its code. */
function patternKey(keys: string, code: string): string {
  return `${keys}\u0000${code}`;
}

function materialise(path: Path): (string | number)[] {
  const keys: (string | number)[] = [];
  for (let at: Path | undefined = path; at; at = at.prev) keys.push(at.key);
  return keys.reverse();
}
