/**
 * Defence in depth: a subgraph enforces the policy directives of its own schema again at
 * resolution, with the same `evaluatePolicy` the gateway uses. A field the caller may not read
 * resolves to an error (hence null) without running its resolver; PHI reads are reported to
 * `onPhiRead` so the subgraph can audit them.
 */
import { defaultFieldResolver, isObjectType, type DocumentNode, type GraphQLSchema } from 'graphql';
import type { TenantContext } from '../tenant-context.js';
import { CareGraphError } from '../errors.js';
import { evaluatePolicy } from './evaluate.js';
import { policyMapOf } from './spec.js';

export interface PhiRead {
  typeName: string;
  fieldName: string;
  /** The object the field was read from (its `id` identifies the record). */
  source: unknown;
  breakGlass: boolean;
}

export interface EnforceOptions<TContext> {
  onPhiRead?: (context: TContext, read: PhiRead) => void;
}

/** Wraps, in place, every resolver of `schema` whose field carries a policy in `typeDefs`. */
export function enforcePolicies<TContext extends { tenant: TenantContext }>(
  schema: GraphQLSchema,
  typeDefs: DocumentNode,
  options: EnforceOptions<TContext> = {},
): GraphQLSchema {
  const policies = policyMapOf(typeDefs);
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      const policy = policies.get(`${type.name}.${field.name}`);
      if (!policy) continue;
      const resolve = field.resolve ?? defaultFieldResolver;
      field.resolve = (source, args, context: TContext, info) => {
        const decision = evaluatePolicy(policy, context.tenant);
        if (!decision.allowed) throw new CareGraphError(decision.denial!.code, decision.denial!.message);
        if (policy.phi) {
          options.onPhiRead?.(context, { typeName: type.name, fieldName: field.name, source, breakGlass: Boolean(decision.breakGlass) });
        }
        return resolve(source, args, context, info);
      };
    }
  }
  return schema;
}
