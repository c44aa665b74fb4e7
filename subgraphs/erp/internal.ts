/** Internal routes the gateway calls (with a signed service context) to build request contexts. */
import { BadUserInputError } from '../../lib/errors.js';
import { isUuid } from '../../lib/ids.js';
import type { InternalRoute } from '../../lib/subgraph/index.js';
import { ARCHIVE_ROUTE, archiveRoute } from '../../lib/workflows/offboarding.js';
import { ENTITLING_STATUSES, fetchSubscriptionsByTenant } from './subscriptions.js';

export const erpInternalRoutes: Record<string, InternalRoute> = {
  /**
   * `GET /internal/entitlements?tenantId=…` → the plan, the features it and the add-ons held
   * entitle the tenant to (none when the subscription is canceled or missing) and the plan's limits (the
   * gateway's operation budget and rate limits read them; none without a subscription).
   */
  entitlements: async (params, db, caller) => {
    const tenantId = params.get('tenantId');
    if (!isUuid(tenantId)) throw new BadUserInputError('tenantId must be a UUID');
    const [subscription] = await db.withTenant(caller, (tx) => fetchSubscriptionsByTenant(tx, [tenantId.toLowerCase()]));
    if (!subscription) return { planCode: null, status: null, features: [], limits: {} };
    return {
      planCode: subscription.plan.code,
      status: subscription.status,
      features: ENTITLING_STATUSES.has(subscription.status) ? subscription.features : [],
      limits: subscription.plan.limits,
    };
  },
  /** `GET /internal/export-archive?tenantId=…` → the tenant's erp archive (lib/workflows/offboarding.ts). */
  [ARCHIVE_ROUTE]: archiveRoute,
};
