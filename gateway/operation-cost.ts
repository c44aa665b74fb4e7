/**
 * What an operation costs to answer, to hold it to the tenant plan's `api_max_cost` before
 * anything is planned: every field costs 1, and what a list returns is counted once per item
 * it may return.
 *
 * - A field with a `first` (or `last`) argument returns at most that many items: its
 *   selection counts that many times. When the field is a connection (an object whose
 *   `edges` list holds the items), the list below it is sized by that argument, not again
 *   by the default.
 * - A list without a size argument counts `defaultListSize` items.
 *
 * Runs on an operation that passed the size limits (gateway/operation-check.ts: at most a few
 * thousand fields once fragments are expanded), so it walks fragments as it meets them.
 */
import {
  getNamedType,
  getNullableType,
  isListType,
  isObjectType,
  isInterfaceType,
  Kind,
  valueFromAST,
  type ArgumentNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';
import type { CheckedOperation } from './operation-check.js';

/** Items a list without a `first`/`last` argument is assumed to return. */
export const DEFAULT_LIST_SIZE = 10;
const SIZE_ARGUMENTS = ['first', 'last'];

export function operationCost(schema: GraphQLSchema, checked: Pick<CheckedOperation, 'operation' | 'fragments' | 'variables'>, defaultListSize = DEFAULT_LIST_SIZE): number {
  const root = schema.getRootType(checked.operation.operation);
  if (!root) return 0;

  const fieldsOf = (type: GraphQLNamedType): Record<string, GraphQLField<unknown, unknown>> | undefined =>
    isObjectType(type) || isInterfaceType(type) ? type.getFields() : undefined;

  /** `pending`: the size argument of the enclosing connection field, for the list right below it. */
  const setCost = (set: SelectionSetNode, parent: GraphQLNamedType, pending: number | undefined): number => {
    let cost = 0;
    for (const selection of set.selections) {
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? (schema.getType(selection.typeCondition.name.value) ?? parent) : parent;
        cost += setCost(selection.selectionSet, type, pending);
        continue;
      }
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment: FragmentDefinitionNode | undefined = checked.fragments.get(selection.name.value);
        if (fragment) cost += setCost(fragment.selectionSet, schema.getType(fragment.typeCondition.name.value) ?? parent, pending);
        continue;
      }
      const definition = fieldsOf(parent)?.[selection.name.value];
      cost += 1;
      if (!definition || !selection.selectionSet) continue;
      const size = sizeArgument(definition, selection.arguments ?? [], checked.variables);
      const list = isListType(getNullableType(definition.type));
      // A sized list counts its size; a sized connection hands its size to the list below it.
      const items = list ? (size ?? pending ?? defaultListSize) : 1;
      const below = list ? undefined : size;
      cost += items * setCost(selection.selectionSet, getNamedType(definition.type), below);
    }
    return cost;
  };

  return setCost(checked.operation.selectionSet, root, undefined);
}

function sizeArgument(
  definition: GraphQLField<unknown, unknown>,
  args: readonly ArgumentNode[],
  variables: Record<string, unknown>,
): number | undefined {
  for (const name of SIZE_ARGUMENTS) {
    const arg = definition.args.find((candidate) => candidate.name === name);
    if (!arg) continue;
    const given = args.find((node) => node.name.value === name);
    const value = given ? valueFromAST(given.value, arg.type, variables) : arg.defaultValue;
    if (typeof value === 'number' && Number.isFinite(value)) return Math.max(0, value);
  }
  return undefined;
}
