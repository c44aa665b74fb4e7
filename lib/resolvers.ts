/** Merges resolver maps type by type (a plain spread would let a later `Query` replace an earlier one). */
export function mergeResolvers(...maps: Record<string, object>[]): Record<string, object> {
  const merged: Record<string, Record<string, unknown>> = {};
  for (const map of maps) {
    for (const [typeName, fields] of Object.entries(map)) {
      for (const fieldName of Object.keys(fields)) {
        if (merged[typeName] && fieldName in merged[typeName]) throw new Error(`Two resolvers for ${typeName}.${fieldName}`);
      }
      merged[typeName] = { ...merged[typeName], ...(fields as Record<string, unknown>) };
    }
  }
  return merged;
}
