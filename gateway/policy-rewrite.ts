/**
 * Connects the field-policy plan to the HTTP layer: an operation that fails its checks
 * (invalid, over a limit, bad variables) is answered with its errors and executes nothing;
 * the query GraphQL executes is the pruned one; the result gets the removed fields back as
 * nulls with their errors; an operation with nothing left is refused with 403.
 */
import type { Rewrite } from '../lib/http/apollo-http.js';
import type { GatewayContext } from './context.js';
import { applyPolicyPlan, type FieldPolicies } from './field-policies.js';

/** The gateway's `rewrite` step (see lib/http/apollo-http.ts). */
export function policyRewrite(policies: FieldPolicies) {
  return (body: unknown, context: GatewayContext): Rewrite => {
    if (!body || typeof body !== 'object' || Array.isArray(body)) return { body };
    const request = body as { query?: unknown; operationName?: unknown; variables?: unknown };
    // Without a query text there is nothing to judge; the server answers the error.
    if (typeof request.query !== 'string') return { body };
    const plan = policies.plan(
      request.query,
      typeof request.operationName === 'string' ? request.operationName : undefined,
      request.variables,
      context.tenant,
    );
    if (plan.rejection) return { refuse: { status: plan.rejection.status, body: { errors: plan.rejection.errors } } };
    if (plan.refused) {
      const refused = applyPolicyPlan({ data: null }, plan);
      return { refuse: { status: 403, body: { data: null, errors: refused.errors } } };
    }
    if (!plan.guide) return { body };
    return {
      body: { ...request, query: plan.query },
      finish: (result) => applyPolicyPlan(result, plan),
    };
  };
}
