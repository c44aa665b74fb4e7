/**
 * Connects the gateway's checks to the HTTP layer, in the order they must run:
 *
 * 1. the document: a trusted document's id resolved to its text, a safelist-only key held to
 *    trusted documents (gateway/trusted-documents.ts);
 * 2. the operation checked (invalid, over a limit, bad variables: answered with its errors,
 *    nothing executed);
 * 3. introspection-only operations answered from the caller's view of the schema
 *    (gateway/introspection.ts), never from the whole API;
 * 4. a partner API key held to the partner contract (gateway/partner-contract.ts), and the
 *    operation's cost held to the tenant plan's budget (gateway/operation-cost.ts);
 * 5. the field-policy plan: the query GraphQL executes is the pruned one; the result gets the
 *    removed fields back as nulls with their errors; an operation with nothing left is refused
 *    with 403.
 */
import { BatchNotAllowedError, HTTP_STATUS, OperationTooCostlyError, OutsidePartnerContractError, type CareGraphError } from '../lib/errors.js';
import { errorBody, type Rewrite } from '../lib/http/apollo-http.js';
import type { TrustedDocuments } from '../lib/trusted-documents.js';
import { DEFAULT_MAX_COST, type GatewayContext } from './context.js';
import { applyPolicyPlan, type FieldPolicies } from './field-policies.js';
import { isIntrospectionOnly, type Introspection } from './introspection.js';
import { hashQuery } from './operation-check.js';
import { operationCost } from './operation-cost.js';
import type { PartnerContract } from './partner-contract.js';
import { resolveDocument } from './trusted-documents.js';

export interface PolicyRewriteParts {
  policies: FieldPolicies;
  trusted: TrustedDocuments;
  introspection: Introspection;
  contract: PartnerContract;
}

const refusal = (error: CareGraphError): Rewrite => ({ refuse: { status: HTTP_STATUS[error.code], body: errorBody(error.code, error.message, error.extensions) } });

/** The gateway's `rewrite` step (see lib/http/apollo-http.ts). */
export function policyRewrite({ policies, trusted, introspection, contract }: PolicyRewriteParts) {
  return (body: unknown, context: GatewayContext): Rewrite => {
    // A batch would carry its operations past every check below: refused here, whatever the
    // GraphQL server's own batching setting (off today) may become.
    if (Array.isArray(body)) return refusal(new BatchNotAllowedError());
    if (!body || typeof body !== 'object') return { body };
    const resolved = resolveDocument(body as Record<string, unknown>, trusted, context.safelistOnly === true);
    if ('error' in resolved) return refusal(resolved.error);
    const request = resolved.body as { query?: unknown; operationName?: unknown; variables?: unknown };
    // Without a query text there is nothing to judge; the server answers the error.
    if (typeof request.query !== 'string') return { body: request };
    const query = request.query;
    const operationName = typeof request.operationName === 'string' ? request.operationName : undefined;
    const queryHash = resolved.queryHash ?? hashQuery(query);
    const checked = policies.check(query, operationName, request.variables, queryHash);
    if ('errors' in checked) return { refuse: { status: checked.status, body: { errors: checked.errors } } };

    const { tenant } = context;
    const partnerKey = tenant.principal.kind === 'api_key';
    if (isIntrospectionOnly(checked)) {
      // Answered here, not executed: 200 with the result, as the GraphQL server would.
      const result = introspection.answer(checked, queryHash, { roles: tenant.roles, scopes: tenant.scopes, readOnly: partnerKey });
      return { refuse: { status: 200, body: result } };
    }
    if (partnerKey) {
      const outside = contract.violations(checked.document, queryHash);
      if (outside.length > 0) {
        return refusal(new OutsidePartnerContractError(`Outside the partner contract (schema/contracts/partner.graphql): ${outside.join(' ')}`));
      }
    }
    const maxCost = context.maxCost ?? DEFAULT_MAX_COST;
    const cost = operationCost(policies.schema, checked);
    if (cost > maxCost) {
      return refusal(new OperationTooCostlyError(`The operation costs ${cost}; this tenant's plan allows ${maxCost} per operation`, { cost, limit: maxCost }));
    }
    const plan = policies.plan(query, operationName, request.variables, tenant, queryHash);
    if (plan.rejection) return { refuse: { status: plan.rejection.status, body: { errors: plan.rejection.errors } } };
    if (plan.refused) {
      const refused = applyPolicyPlan({ data: null }, plan);
      return { refuse: { status: 403, body: { data: null, errors: refused.errors } } };
    }
    if (!plan.guide) return { body: request };
    return {
      body: { ...request, query: plan.query },
      finish: (result) => applyPolicyPlan(result, plan),
    };
  };
}
