/**
 * The errors of a subgraph fetch that failed as a whole (gateway/data-source.ts): one per field
 * the fetch was to fill, at the path of the first place that now lacks it, with
 * `extensions.occurrences` counting the places when there are more — the shape of the field
 * policies' errors (gateway/policy-result.ts). A client tells why a field is null by its path
 * (`errorAt` in examples/graphql-result.ts); a null with no error at its path would read as a
 * real absence ("no subscription") rather than "not available right now".
 *
 * The paths are the fetch's own: `[field]` for a root fetch, `['_entities', i, field]` for an
 * entity fetch. The gateway's executor turns the latter into the entity's path in the client's
 * operation, as it does for the errors a subgraph reports itself.
 */
import { Kind, type DocumentNode, type FragmentDefinitionNode, type GraphQLFormattedError, type SelectionSetNode } from 'graphql';

interface FetchedField {
  /** The key in the answer: the alias, else the field name. */
  responseName: string;
  name: string;
  selectionSet?: SelectionSetNode;
  /** The type condition of the nearest fragment around the field, if any. */
  typeCondition?: string;
}

/** The fields a selection set asks for, fragments flattened, `__typename` left out (it is never missing). */
function fieldsOf(selectionSet: SelectionSetNode, fragments: ReadonlyMap<string, FragmentDefinitionNode>, typeCondition?: string, seen = new Set<string>()): FetchedField[] {
  return selectionSet.selections.flatMap((selection): FetchedField[] => {
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value === '__typename') return [];
      return [{ responseName: selection.alias?.value ?? selection.name.value, name: selection.name.value, selectionSet: selection.selectionSet, typeCondition }];
    }
    if (selection.kind === Kind.INLINE_FRAGMENT) {
      return fieldsOf(selection.selectionSet, fragments, selection.typeCondition?.name.value ?? typeCondition, seen);
    }
    const fragment = fragments.get(selection.name.value);
    if (!fragment || seen.has(fragment.name.value)) return [];
    return fieldsOf(fragment.selectionSet, fragments, fragment.typeCondition.name.value, new Set([...seen, fragment.name.value]));
  });
}

/**
 * The errors for `document` (the fetch's operation) when none of it could be fetched, each a
 * copy of `error` with a path. `representations` are the fetch's entity representations, if it
 * is an entity fetch: their `__typename` says which entities lack which fields.
 */
export function unavailableFieldErrors(
  document: DocumentNode,
  representations: unknown,
  error: { message: string; extensions: Record<string, unknown> },
): GraphQLFormattedError[] {
  const operation = document.definitions.find((definition) => definition.kind === Kind.OPERATION_DEFINITION);
  const fragments = new Map(
    document.definitions.filter((definition) => definition.kind === Kind.FRAGMENT_DEFINITION).map((fragment) => [fragment.name.value, fragment] as const),
  );
  const errors: GraphQLFormattedError[] = [];
  const at = (path: (string | number)[], occurrences = 1) =>
    errors.push({ message: error.message, path, extensions: { ...error.extensions, ...(occurrences > 1 ? { occurrences } : {}) } });
  const typenames = Array.isArray(representations) ? representations.map((representation) => (representation as { __typename?: unknown } | null)?.__typename) : [];
  const reported = new Set<string>();

  for (const root of operation ? fieldsOf(operation.selectionSet, fragments) : []) {
    if (root.name !== '_entities' || !root.selectionSet) {
      at([root.responseName]);
      continue;
    }
    for (const field of fieldsOf(root.selectionSet, fragments)) {
      const key = `${field.typeCondition ?? ''}.${field.responseName}`;
      if (reported.has(key)) continue;
      reported.add(key);
      // The entities this field was asked of: those of its fragment's type (all of them when no type says otherwise).
      const ofType = typenames.flatMap((typename, index) => (field.typeCondition === undefined || typename === field.typeCondition ? [index] : []));
      const indices = ofType.length > 0 ? ofType : typenames.map((_, index) => index);
      at([root.responseName, indices[0] ?? 0, field.responseName], indices.length);
    }
  }
  // Nothing to point at (no document to read): one error for the whole fetch, as the executor would report it.
  return errors.length > 0 ? errors : [{ message: error.message, extensions: error.extensions }];
}
