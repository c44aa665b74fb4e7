/**
 * A caller's view of the graph: the API schema without every field the caller's roles and
 * scopes can never reach, whatever tenant it acts on — PHI for a caller without a clinical
 * role, billing for a clinician, anything outside a partner key's scopes. Fields gated only by
 * a tenant's entitlements stay (whether they can be read depends on the tenant of each
 * request), with the feature they require stated in their description.
 *
 * The gateway answers introspection from it (gateway/introspection.ts), and `npm run compose`
 * writes the partner contract with it (the view of a key holding every scope a key may hold).
 * Both read the policies from the same directives the field-policy walk enforces, so the
 * schema a caller sees never offers a field the walk would remove for its roles and scopes.
 */
import {
  GraphQLUnionType,
  type GraphQLSchema,
  getNamedType,
  isInterfaceType,
  isObjectType,
  isUnionType,
  type GraphQLFieldConfig,
  type GraphQLNamedType,
} from 'graphql';
import { MapperKind, mapSchema, pruneSchema } from '@graphql-tools/utils';
import { BREAK_GLASS_ROLES, CLINICAL_ROLES, PHI_SCOPE, type FieldPolicy, type PolicyMap, type Role } from './spec.js';

/** What decides which fields a caller can ever reach: its roles and scopes, not its tenant. */
export interface SchemaViewer {
  roles: readonly string[];
  scopes: readonly string[];
  /** Reads only: no Mutation root (partner API keys, whose scopes are all read scopes). */
  readOnly?: boolean;
}

/**
 * Whether some request of this viewer could read a field with this policy: its scopes satisfy
 * the field's, and for PHI it holds a clinical role with the PHI scope or a role that may read
 * PHI under a declared break-glass grant. Entitlements are the tenant's, so they never hide a field.
 */
export function mayEverRead(policy: FieldPolicy | undefined, viewer: SchemaViewer): boolean {
  if (!policy) return true;
  if (policy.scopes.length > 0 && !policy.scopes.some((all) => all.every((scope) => viewer.scopes.includes(scope)))) return false;
  if (policy.phi) {
    const clinical = viewer.scopes.includes(PHI_SCOPE) && viewer.roles.some((role) => CLINICAL_ROLES.includes(role as Role));
    const breakGlass = viewer.roles.some((role) => BREAK_GLASS_ROLES.includes(role as Role));
    if (!clinical && !breakGlass) return false;
  }
  return true;
}

/** The sentence added to the description of a field gated by the tenant's entitlements. */
export function entitlementNote(features: readonly string[]): string {
  const names = features.map((feature) => `\`${feature}\``).join(' and ');
  return `Requires the tenant feature ${names} (from its plan, an add-on or its release cohort); without it the field is null with ENTITLEMENT_REQUIRED.`;
}

/** The key of a viewer's view: equal for callers that see the same schema. */
export function viewerKey(viewer: SchemaViewer): string {
  return `${[...new Set(viewer.roles)].sort().join(',')}|${[...new Set(viewer.scopes)].sort().join(',')}|${viewer.readOnly ? 'read' : 'all'}`;
}

/**
 * The schema `viewer` can reach. A type left with no field is dropped, and with it every field
 * and union member that led to it, until nothing changes; types nothing leads to any more are
 * pruned. The result is a valid schema (tested with `validateSchema`).
 */
export function callerSchema(schema: GraphQLSchema, policies: PolicyMap, viewer: SchemaViewer): GraphQLSchema {
  const removed = removedFields(schema, policies, viewer);
  const emptied = new Set<string>();
  const mutation = schema.getMutationType();
  if (viewer.readOnly && mutation) emptied.add(mutation.name);
  const typeGone = (type: GraphQLNamedType) => emptied.has(type.name);
  for (let changed = true; changed; ) {
    changed = false;
    for (const type of Object.values(schema.getTypeMap())) {
      if (type.name.startsWith('__') || emptied.has(type.name)) continue;
      if (isObjectType(type) || isInterfaceType(type)) {
        for (const field of Object.values(type.getFields())) {
          const key = `${type.name}.${field.name}`;
          if (!removed.has(key) && typeGone(getNamedType(field.type))) {
            removed.add(key);
            changed = true;
          }
        }
        // A field an implementation lost cannot stay on its interface: the schema would be invalid.
        if (isObjectType(type)) {
          for (const implemented of type.getInterfaces()) {
            for (const name of Object.keys(implemented.getFields())) {
              if (removed.has(`${type.name}.${name}`) && !removed.has(`${implemented.name}.${name}`)) {
                removed.add(`${implemented.name}.${name}`);
                changed = true;
              }
            }
          }
        }
        if (Object.keys(type.getFields()).every((name) => removed.has(`${type.name}.${name}`))) {
          emptied.add(type.name);
          changed = true;
        }
      } else if (isUnionType(type) && type.getTypes().every((member) => emptied.has(member.name))) {
        emptied.add(type.name);
        changed = true;
      }
    }
  }
  const note = (typeName: string, fieldName: string, field: GraphQLFieldConfig<unknown, unknown>): GraphQLFieldConfig<unknown, unknown> => {
    const features = policies.get(`${typeName}.${fieldName}`)?.entitlements ?? [];
    if (features.length === 0) return field;
    return { ...field, description: [field.description, entitlementNote(features)].filter(Boolean).join('\n\n') };
  };
  const mapped = mapSchema(schema, {
    [MapperKind.TYPE]: (type) => (emptied.has(type.name) ? null : type),
    [MapperKind.COMPOSITE_FIELD]: (field, fieldName, typeName) => (removed.has(`${typeName}.${fieldName}`) ? null : note(typeName, fieldName, field)),
    [MapperKind.UNION_TYPE]: (type) => {
      const members = type.getTypes().filter((member) => !emptied.has(member.name));
      return members.length === type.getTypes().length ? type : new GraphQLUnionType({ ...type.toConfig(), types: members });
    },
  });
  return pruneSchema(mapped);
}

function removedFields(schema: GraphQLSchema, policies: PolicyMap, viewer: SchemaViewer): Set<string> {
  const removed = new Set<string>();
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__') || !(isObjectType(type) || isInterfaceType(type))) continue;
    for (const name of Object.keys(type.getFields())) {
      const key = `${type.name}.${name}`;
      if (!mayEverRead(policies.get(key), viewer)) removed.add(key);
    }
  }
  return removed;
}
