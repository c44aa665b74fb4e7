/**
 * Connects the field-policy plan to the HTTP layer: the query GraphQL executes is the pruned
 * one; the result gets the removed fields back as nulls with their errors; an operation with
 * nothing left is refused with 403 and executes nothing.
 */
import type { Rewrite } from '../lib/http/apollo-http.js';
import type { GatewayContext } from './context.js';
import { applyPolicyPlan, type FieldPolicies, type GraphQLResultBody } from './field-policies.js';

export function policyRewrite(policies: FieldPolicies) {
  return (body: unknown, context: GatewayContext): Rewrite => {
    if (!body || typeof body !== 'object' || Array.isArray(body)) return { body };
    const request = body as { query?: unknown; operationName?: unknown; variables?: unknown };
    // Without a query text there is nothing to judge; the server answers the error.
    if (typeof request.query !== 'string') return { body };
    const plan = policies.plan(
      request.query,
      typeof request.operationName === 'string' ? request.operationName : undefined,
      request.variables && typeof request.variables === 'object' ? (request.variables as Record<string, unknown>) : undefined,
      context.tenant,
    );
    if (plan.refused) {
      const refused = applyPolicyPlan({ data: null }, plan);
      return { refuse: { status: 403, body: { data: null, errors: refused.errors } } };
    }
    if (plan.removals.length === 0) return { body };
    return {
      body: { ...request, query: plan.query },
      finish: (result) => applyPolicyPlan(result as GraphQLResultBody, plan),
    };
  };
}
