/**
 * Introspection, per caller: `__schema` and `__type` are answered by the gateway itself from
 * the caller's view of the graph (lib/policy/caller-schema.ts) — PHI absent for an analyst,
 * billing for a clinician, everything outside a partner key's scopes — never from the whole API
 * schema. Anonymous callers never get here (authentication comes first).
 *
 * Only an operation that asks for nothing but introspection (and `__typename`) is answered so;
 * one that mixes it with data has its introspection fields removed by the field-policy walk
 * (INTROSPECTION_DISABLED). Views are cached per (roles, scopes), and answers per (view,
 * document, operation, variables), so a GraphiQL session costs one execution per caller kind.
 */
import { execute, Kind, type ExecutionResult, type GraphQLSchema, type SelectionSetNode } from 'graphql';
import { LRUCache } from 'lru-cache';
import { callerSchema, viewerKey, type SchemaViewer } from '../lib/policy/caller-schema.js';
import type { PolicyMap } from '../lib/policy/spec.js';
import type { CheckedOperation } from './operation-check.js';

const INTROSPECTION_ROOT_FIELDS = new Set(['__schema', '__type', '__typename']);
/** Distinct (roles, scopes) views kept; a view of this schema is well under a megabyte. */
const MAX_VIEWS = 64;
/** Memory budget of cached answers, in bytes of their JSON. */
const ANSWER_CACHE_BYTES = 16 * 1024 * 1024;

/** Whether the operation's root selections are introspection only (through fragments too). */
export function isIntrospectionOnly(checked: Pick<CheckedOperation, 'operation' | 'fragments'>): boolean {
  let asksSchema = false;
  const visit = (set: SelectionSetNode, seen: Set<string>): boolean =>
    set.selections.every((selection) => {
      if (selection.kind === Kind.FIELD) {
        if (selection.name.value !== '__typename') asksSchema ||= INTROSPECTION_ROOT_FIELDS.has(selection.name.value);
        return INTROSPECTION_ROOT_FIELDS.has(selection.name.value);
      }
      if (selection.kind === Kind.INLINE_FRAGMENT) return visit(selection.selectionSet, seen);
      const name = selection.name.value;
      if (seen.has(name)) return true;
      const fragment = checked.fragments.get(name);
      return fragment ? visit(fragment.selectionSet, new Set([...seen, name])) : true;
    });
  return visit(checked.operation.selectionSet, new Set()) && asksSchema;
}

export class Introspection {
  private readonly views = new LRUCache<string, GraphQLSchema>({ max: MAX_VIEWS });
  private readonly answers = new LRUCache<string, { result: ExecutionResult; json: string }>({
    maxSize: ANSWER_CACHE_BYTES,
    sizeCalculation: (entry) => entry.json.length + 200,
  });

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly policies: PolicyMap,
  ) {}

  /** The schema `viewer` sees (cached per roles and scopes). */
  viewOf(viewer: SchemaViewer): GraphQLSchema {
    const key = viewerKey(viewer);
    let view = this.views.get(key);
    if (!view) {
      view = callerSchema(this.schema, this.policies, viewer);
      this.views.set(key, view);
    }
    return view;
  }

  /** Answers an introspection-only operation from the viewer's schema. */
  answer(checked: CheckedOperation, queryHash: string, viewer: SchemaViewer): ExecutionResult {
    const operationName = checked.operation.name?.value ?? '';
    const key = `${viewerKey(viewer)}\u0000${queryHash}\u0000${operationName}\u0000${JSON.stringify(checked.variables)}`;
    const cached = this.answers.get(key);
    if (cached) return cached.result;
    const result = execute({
      schema: this.viewOf(viewer),
      document: checked.document,
      operationName: checked.operation.name?.value,
      variableValues: checked.variables,
    }) as ExecutionResult;
    this.answers.set(key, { result, json: JSON.stringify(result) });
    return result;
  }
}
