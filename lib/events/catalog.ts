/**
 * The catalogue of events between domains: every event type, the service that produces it and
 * the schema of its payload, in one place. Producers validate against it before writing to their
 * outbox and consumers before acting, so a payload that drifts from its schema fails loudly at
 * the producer instead of quietly at a consumer. docs/events.md shows this catalogue as a table;
 * a test keeps the two in step.
 *
 * Payloads carry identifiers and counts only: events cross domains and sit in queues every
 * service can read, so no field value of a clinical record (no patient id, no free text a
 * clinician typed) ever goes into one.
 */
import { z } from 'zod';
import type { SubgraphName } from '../config.js';

/** Who caused an event: the principal of the request (or job) that made the change. */
export const actorSchema = z
  .object({
    principalId: z.string().min(1).max(200),
    principalKind: z.enum(['user', 'api_key', 'anonymous', 'service']),
    /** The gateway's request id of the change, for following it across domains. */
    requestId: z.string().min(1).max(128),
    /** The client's own request id, when it sent one. */
    correlationId: z.string().max(128).nullable(),
  })
  .strict();

export type Actor = z.infer<typeof actorSchema>;

interface EventDefinition<P extends z.ZodObject = z.ZodObject> {
  /** Bumped when the payload changes in a way an existing consumer would misread. */
  version: number;
  producer: SubgraphName;
  /** One sentence: what happened. */
  summary: string;
  payload: P;
}

/** A tenant's lifecycle statuses (subgraphs/tenancy/lifecycle.ts), as stored. */
export const TENANT_STATUSES = ['provisioning', 'active', 'suspended', 'offboarding', 'offboarded'] as const;
/** Why a tenant moved: a closed list, so that no typed text travels in an event or the audit log. */
export const LIFECYCLE_REASONS = ['provisioned', 'non_payment', 'security', 'customer_request', 'contract_ended', 'operator_action', 'data_exported'] as const;

/** The domains that hold a tenant's data, each exporting and purging its own (lib/workflows/offboarding.ts). */
export const DATA_DOMAINS = ['tenancy', 'erp', 'clinical-ops', 'observability'] as const;
export type DataDomain = (typeof DATA_DOMAINS)[number];

/** The provisioning workflow's steps in order (lib/workflows/provisioning.ts says who owns each). */
export const PROVISIONING_STEP_NAMES = [
  'tenant_record',
  'commercial',
  'entitlements',
  'clinical_workspace',
  'slo_registration',
  'tenant_admin',
  'onboarding_checklist',
  'activation',
] as const;

/** What the control plane's escalation policy watches (subgraphs/tenancy/escalation.ts says what each measures). */
export const ESCALATION_SIGNALS = ['error_budget_burn', 'incident_size', 'integration_backlog'] as const;
export type EscalationSignal = (typeof ESCALATION_SIGNALS)[number];
/** Who a signal escalates to: roles, never addresses (where each is reached is the alerting side's configuration). */
export const ESCALATION_RECEIVERS = ['tenant_admins', 'partner_support', 'customer_success', 'platform_oncall', 'incident_commander'] as const;

/** One signal of a tenant's effective escalation policy. */
export const escalationRuleSchema = z
  .object({
    signal: z.enum(ESCALATION_SIGNALS).describe('what is watched'),
    threshold: z.number().positive().max(1_000_000).describe('the figure at or above which it escalates'),
    escalateTo: z.array(z.enum(ESCALATION_RECEIVERS)).min(1).max(5).describe('who it escalates to'),
    source: z.enum(['tier', 'tenant']).describe('the tier’s rule, or the tenant’s own (a governed override)'),
  })
  .strict();
export type EscalationRule = z.infer<typeof escalationRuleSchema>;

/** What an owner of a provisioning step reports when the step is over. */
const stepFinished = z
  .object({
    step: z.enum(PROVISIONING_STEP_NAMES).describe('the step of the tenant’s provisioning'),
    outcome: z.enum(['done', 'failed']).describe('done, or failed for good (a permanent error, or its last attempt spent)'),
    attempt: z.number().int().min(1).max(100).describe('the attempt that finished it'),
    error: z.string().max(300).nullable().describe('why it failed: the step’s own message, identifiers only'),
  })
  .strict();

/** A table name as counted in offboarding events: the domain's own table, never a value. */
const tableCounts = z.record(z.string().regex(/^[a-z][a-z0-9_]{0,62}$/), z.number().int().min(0));

/** What a domain reports when it has archived a tenant's rows. */
const exportCompleted = z
  .object({
    domain: z.enum(DATA_DOMAINS).describe('the domain that exported (the producer)'),
    tables: tableCounts.describe('rows archived per table of the domain'),
    bytes: z.number().int().min(0).describe('size of the NDJSON archive'),
    sha256: z.string().regex(/^[0-9a-f]{64}$/).describe('SHA-256 of the archive, as downloaded'),
  })
  .strict();

/** What a domain reports when it has deleted a tenant's rows. */
const purgeCompleted = z
  .object({
    domain: z.enum(DATA_DOMAINS).describe('the domain that purged (the producer)'),
    tables: tableCounts.describe('rows deleted per table of the domain (the archive counts as tenant_exports)'),
  })
  .strict();

const define = <P extends z.ZodObject>(definition: EventDefinition<P>) => Object.freeze(definition);

export const EVENT_CATALOG = Object.freeze({
  'tenancy.change-request.approved': define({
    version: 1,
    producer: 'tenancy',
    summary: 'A second platform admin approved a change to one of the tenant’s protected settings; tenancy’s worker applies it (inside the release window where the setting is release-gated). The actor is the approver.',
    payload: z
      .object({
        changeRequestId: z.uuid().describe('the change request (tenancy)'),
        setting: z.string().regex(/^[a-z][a-z_]{1,40}$/).describe('the protected setting it changes'),
      })
      .strict(),
  }),
  'tenancy.change-request.rejected': define({
    version: 1,
    producer: 'tenancy',
    summary: 'A second platform admin rejected a change request; nothing is applied. Erp moves a purchase order waiting for that request to REJECTED (docs/procurement.md). The actor is the one who rejected it.',
    payload: z
      .object({
        changeRequestId: z.uuid().describe('the change request (tenancy)'),
        setting: z.string().regex(/^[a-z][a-z_]{1,40}$/).describe('the protected setting it would have changed'),
      })
      .strict(),
  }),
  'tenancy.provisioning.requested': define({
    version: 1,
    producer: 'tenancy',
    summary: 'A tenant’s provisioning was started (provisionTenant) or resumed after a failed step (retryProvisioning); tenancy’s worker works it step by step. The actor is the platform admin.',
    payload: z.object({ reason: z.enum(['start', 'retry']).describe('first start, or resumed by retryProvisioning') }).strict(),
  }),
  'tenancy.tenant.status-changed': define({
    version: 1,
    producer: 'tenancy',
    summary:
      'A tenant moved along its lifecycle (activated, suspended, resumed, offboarding, offboarded). The actor is who moved it. To offboarding: every domain exports the tenant’s data; to offboarded: once all four have.',
    payload: z
      .object({
        from: z.enum(TENANT_STATUSES).describe('the status before'),
        to: z.enum(TENANT_STATUSES).describe('the status after'),
        reason: z.enum(LIFECYCLE_REASONS).describe('why, as one of the lifecycle reasons (never free text)'),
      })
      .strict(),
  }),
  'tenancy.member.joined': define({
    version: 1,
    producer: 'tenancy',
    summary:
      'Someone accepted an invitation and became an active member of the tenant (the first admin invited by provisioning, or anyone invited later); erp records the first as the tenant’s users-provisioned milestone. The actor is the new member.',
    payload: z
      .object({
        memberId: z.uuid().describe('the member (tenancy)'),
        roles: z.array(z.enum(['tenant_admin', 'clinician', 'biller'])).min(1).max(3).describe('the roles they joined with'),
      })
      .strict(),
  }),
  'tenancy.escalation-policy.changed': define({
    version: 1,
    producer: 'tenancy',
    summary:
      'A tenant’s effective escalation policy changed (its tier’s rules, its tier, or a governed override), or was published for the first time; observability keeps the copy of the highest revision. The actor is who applied the change, or tenancy’s worker.',
    payload: z
      .object({
        revision: z.number().int().min(1).describe('counts the tenant’s published policies: a copy older than the one held is ignored'),
        tier: z.enum(['standard', 'enhanced', 'critical']).describe('the tenant’s tier the rules were drawn from'),
        rules: z.array(escalationRuleSchema).max(ESCALATION_SIGNALS.length).describe('one rule per signal'),
      })
      .strict(),
  }),
  'tenancy.tenant.purge-requested': define({
    version: 1,
    producer: 'tenancy',
    summary:
      'An offboarded tenant’s retention has passed (the retention sweep, or purgeTenantNow): every domain deletes the tenant’s rows and its export archive, keeping the audit log. The actor is the sweep or the platform admin.',
    payload: z
      .object({
        offboardedAt: z.iso.datetime().describe('when the tenant became OFFBOARDED'),
        retentionDays: z.number().int().min(1).max(3650).describe('the retention it was kept for'),
      })
      .strict(),
  }),
  'tenancy.export.completed': define({
    version: 1,
    producer: 'tenancy',
    summary: 'Tenancy archived an offboarding tenant’s rows (profile, members, provisioning, governance, audit log) as NDJSON; tenancy’s worker records it.',
    payload: exportCompleted,
  }),
  'tenancy.purge.completed': define({
    version: 1,
    producer: 'tenancy',
    summary: 'Tenancy deleted a tenant’s rows past retention (its tenant row, audit log and security events are kept).',
    payload: purgeCompleted,
  }),
  'erp.export.completed': define({
    version: 1,
    producer: 'erp',
    summary: 'Erp archived an offboarding tenant’s rows (subscription, contract, invoice schedule, attribution, entitlements) as NDJSON.',
    payload: exportCompleted,
  }),
  'erp.purge.completed': define({
    version: 1,
    producer: 'erp',
    summary: 'Erp deleted a tenant’s rows and export archive past retention.',
    payload: purgeCompleted,
  }),
  'clinical-ops.export.completed': define({
    version: 1,
    producer: 'clinical-ops',
    summary: 'Clinical-ops archived an offboarding tenant’s rows (patients, appointments, PHI access log, grants, workspace) as NDJSON, in the tenant’s own database when it has one.',
    payload: exportCompleted,
  }),
  'clinical-ops.purge.completed': define({
    version: 1,
    producer: 'clinical-ops',
    summary: 'Clinical-ops deleted a tenant’s rows and export archive past retention.',
    payload: purgeCompleted,
  }),
  'observability.export.completed': define({
    version: 1,
    producer: 'observability',
    summary: 'Observability archived an offboarding tenant’s rows (request telemetry, SLO registrations) as NDJSON.',
    payload: exportCompleted,
  }),
  'observability.purge.completed': define({
    version: 1,
    producer: 'observability',
    summary: 'Observability deleted a tenant’s rows and export archive past retention.',
    payload: purgeCompleted,
  }),
  'erp.subscription.changed': define({
    version: 1,
    producer: 'erp',
    summary:
      'A tenant’s subscription changed (started, upgraded, a downgrade or cancellation scheduled or applied, an add-on added or removed, renewed, expired, a trial ended, past due or recovered), as the whole state it leaves from its effective date; tenancy records it in the tenant’s audit chain. The actor is the billing user, or erp’s billing run.',
    payload: z
      .object({
        change: z.string().regex(/^[a-z][a-z_]{1,40}$/).describe('what changed (a subscription history change, see docs/billing.md)'),
        effectiveOn: z.iso.date().describe('the day it takes effect (UTC)'),
        planCode: z.string().regex(/^[a-z][a-z0-9_]*$/).describe('the plan from then on'),
        addons: z.array(z.string().regex(/^[a-z][a-z0-9_]*$/)).max(20).describe('the add-ons held from then on'),
        status: z.enum(['trialing', 'active', 'past_due', 'canceled', 'expired']).describe('the subscription status from then on'),
        pendingPlanCode: z.string().regex(/^[a-z][a-z0-9_]*$/).nullable().describe('a downgrade waiting for the period’s end'),
        cancelAtPeriodEnd: z.boolean().describe('whether a cancellation waits for the period’s end'),
      })
      .strict(),
  }),
  'erp.invoice.overdue': define({
    version: 1,
    producer: 'erp',
    summary:
      'An invoice is still unpaid past a dunning stage (docs/billing.md): `past_due` moved the subscription to PAST_DUE; `suspend` asks the control plane to suspend the tenant for non-payment. Tenancy audits both and suspends on the second. The actor is erp’s billing run.',
    payload: z
      .object({
        invoiceId: z.uuid().describe('the invoice (erp)'),
        number: z.string().regex(/^[A-Z]{2}-[A-Z]{2}-INV-\d{6,}$/).describe('its number'),
        stage: z.enum(['past_due', 'suspend']).describe('the dunning stage reached'),
        dueOn: z.iso.date().describe('when it was due'),
        amountDueMinor: z.number().int().min(1).describe('what is still owed, in minor units'),
        currency: z.string().regex(/^[A-Z]{3}$/).describe('of the amount'),
      })
      .strict(),
  }),
  'erp.invoice.settled': define({
    version: 1,
    producer: 'erp',
    summary:
      'An invoice was paid in full or credited: when no overdue invoice is left and the tenant was suspended for non-payment, tenancy resumes it. The actor is who recorded the payment or credit note.',
    payload: z
      .object({
        invoiceId: z.uuid().describe('the invoice (erp)'),
        number: z.string().regex(/^[A-Z]{2}-[A-Z]{2}-INV-\d{6,}$/).describe('its number'),
        overdueInvoicesLeft: z.number().int().min(0).describe('the tenant’s invoices still overdue past the suspension stage'),
      })
      .strict(),
  }),
  'erp.purchase-order.changed': define({
    version: 1,
    producer: 'erp',
    summary:
      'A purchase order for a tenant’s implementation work was created or moved (docs/procurement.md): tenancy records each state in the tenant’s audit chain, and for PENDING_APPROVAL opens the four-eyes change request (setting `purchase_order`) erp named. The actor is the billing user, or the admin whose decision moved it.',
    payload: z
      .object({
        purchaseOrderId: z.uuid().describe('the purchase order (erp)'),
        number: z.string().regex(/^[A-Z]{2}-[A-Z]{2}-PO-\d{6,}$/).describe('its number'),
        category: z.enum(['implementation_services', 'connector_licence']).describe('what kind of purchase'),
        amountMinor: z.number().int().min(1).describe('its amount, in minor units'),
        currency: z.string().regex(/^[A-Z]{3}$/).describe('of the amount'),
        status: z.enum(['pending_approval', 'approved', 'received', 'billed', 'rejected', 'canceled']).describe('the state it moved to'),
        changeRequestId: z.uuid().nullable().describe('the four-eyes change request (tenancy), for an order above the threshold'),
      })
      .strict(),
  }),
  'clinical-ops.workflow-run.queued': define({
    version: 1,
    producer: 'clinical-ops',
    summary:
      'A run of a clinical workflow (an eligibility check, a claim submission, a reminder, a document) was started in the tenant’s database, or replayed from the dead letters; clinical-ops’ worker queues its first attempt in the tenant’s fair share (docs/workloads.md). Identifiers only.',
    payload: z
      .object({
        runId: z.uuid().describe('the run (and its business record: the claim, the check …)'),
        workflow: z.enum(['eligibility_checks', 'claims', 'reminders', 'documents']).describe('the workflow, which names its queue'),
        tier: z.enum(['standard', 'enhanced', 'critical']).describe('the tenant’s tier: its priority and concurrency on the queue'),
        dedicated: z.boolean().describe('the tenant is entitled to dedicated capacity: its runs go to the dedicated queue'),
        replay: z.number().int().min(0).describe('0 when the run starts; n when replayDeadLetters queues it again for the n-th time'),
      })
      .strict(),
  }),
  'clinical-ops.dead-letters.replayed': define({
    version: 1,
    producer: 'clinical-ops',
    summary:
      'A platform admin queued a tenant’s dead-lettered runs of one workflow again (replayDeadLetters); tenancy writes it to the tenant’s audit chain. The actor is the admin. Counts and the filter, never PHI.',
    payload: z
      .object({
        workflow: z.enum(['eligibility_checks', 'claims', 'reminders', 'documents']).describe('the workflow replayed'),
        replayed: z.number().int().min(0).describe('runs queued again'),
        errorCode: z.string().max(64).nullable().describe('the last error code the runs were chosen by, if any'),
        deadLetteredAfter: z.iso.datetime().nullable().describe('the start of the window the runs were dead-lettered in, if any'),
        deadLetteredBefore: z.iso.datetime().nullable().describe('the end of that window, if any'),
      })
      .strict(),
  }),
  'clinical-ops.workload.sampled': define({
    version: 1,
    producer: 'clinical-ops',
    summary:
      'What a tenant’s workflow queues looked like at a sample (once a minute): runs waiting and in flight, the oldest wait, and the outcomes and waits of the window; observability keeps it as queue telemetry. Counts and durations only.',
    payload: z
      .object({
        sampledAt: z.iso.datetime().describe('when the sample was taken'),
        windowSeconds: z.number().int().min(1).max(3600).describe('the window the outcomes and waits cover, ending at sampledAt'),
        workflows: z
          .array(
            z
              .object({
                workflow: z.enum(['eligibility_checks', 'claims', 'reminders', 'documents']),
                depth: z.number().int().min(0).describe('runs queued or waiting for a retry'),
                inFlight: z.number().int().min(0).describe('runs with an attempt under way'),
                oldestWaitSeconds: z.number().int().min(0).nullable().describe('age of the oldest unfinished run'),
                succeeded: z.number().int().min(0),
                rejected: z.number().int().min(0),
                deadLettered: z.number().int().min(0),
                started: z.number().int().min(0).describe('runs whose first attempt started in the window'),
                waitP50Ms: z.number().int().min(0).nullable().describe('median wait from queued to first attempt, of those'),
                waitP95Ms: z.number().int().min(0).nullable(),
                waitMaxMs: z.number().int().min(0).nullable(),
              })
              .strict(),
          )
          .min(1)
          .max(4),
      })
      .strict(),
  }),
  'clinical-ops.usage.recorded': define({
    version: 1,
    producer: 'clinical-ops',
    summary:
      'Metered work was done for a tenant (eligibility checks, claims, reminders, documents, API calls); erp counts it once per event id toward the month’s usage and its overage. Counts only.',
    payload: z
      .object({
        meter: z.enum(['eligibility_checks', 'claims_submitted', 'reminders_sent', 'documents_generated', 'api_calls']).describe('the meter (erp’s catalog)'),
        quantity: z.number().int().min(1).max(1_000_000).describe('units done'),
        occurredAt: z.iso.datetime().describe('when (its UTC month is the usage period)'),
      })
      .strict(),
  }),
  'erp.provisioning-step.finished': define({
    version: 1,
    producer: 'erp',
    summary: 'Erp finished its step of a tenant’s provisioning (commercial: contract, subscription, invoice schedule, partner attribution; or entitlements), in the step’s transaction.',
    payload: stepFinished,
  }),
  'clinical-ops.provisioning-step.finished': define({
    version: 1,
    producer: 'clinical-ops',
    summary: 'Clinical-ops finished its step of a tenant’s provisioning (the clinical workspace, with a database of its own for an ISOLATED tenant).',
    payload: stepFinished,
  }),
  'observability.provisioning-step.finished': define({
    version: 1,
    producer: 'observability',
    summary: 'Observability finished its step of a tenant’s provisioning (the SLOs of its class, registered).',
    payload: stepFinished,
  }),
  'clinical-ops.phi.read': define({
    version: 1,
    producer: 'clinical-ops',
    summary:
      'One request read PHI in one tenant (each record and field is in clinical-ops’ phi_access_log); tenancy appends it to the tenant’s audit chain. The actor is the reader; never which patient, never a value.',
    payload: z
      .object({
        recordCount: z.number().int().min(1).describe('records read'),
        fieldCount: z.number().int().min(1).describe('PHI fields read, summed over the records'),
        recordTypes: z.record(z.string().regex(/^[A-Z][A-Za-z]{0,62}$/), z.number().int().min(1)).describe('records read per type (Patient, Appointment …)'),
        roles: z.array(z.string().min(1).max(50)).max(20).describe('the reader’s roles'),
        breakGlass: z.boolean().describe('whether any of it was read under a break-glass grant'),
        grantId: z.uuid().optional().describe('that grant, when it was'),
      })
      .strict(),
  }),
  'clinical-ops.placement.changed': define({
    version: 1,
    producer: 'clinical-ops',
    summary:
      'Clinical-ops moved a tenant’s clinical rows to its new placement (the shared pool, or a database of its own in its region), verified by row counts; tenancy records it in the tenant’s audit chain. Counts only.',
    payload: z
      .object({
        changeRequestId: z.uuid().describe('the applied change request that asked for it'),
        from: z.enum(['pooled', 'isolated']).describe('where the rows were'),
        to: z.enum(['pooled', 'isolated']).describe('where they are now'),
        region: z.string().regex(/^[a-z][a-z0-9-]{1,30}$/).describe('the tenant’s region'),
        database: z.string().regex(/^[a-z][a-z0-9_]{1,62}$/).nullable().describe('the tenant’s own database, when isolated'),
        rows: z.record(z.string().regex(/^[a-z][a-z0-9_]{0,62}$/), z.number().int().min(0)).describe('rows moved, per table'),
      })
      .strict(),
  }),
  'clinical-ops.break-glass.declared': define({
    version: 1,
    producer: 'clinical-ops',
    summary:
      'A principal declared a break-glass emergency in one tenant: for a bounded time it may read the named patients’ PHI. The actor is the declarer.',
    payload: z
      .object({
        grantId: z.uuid().describe('the break-glass grant (clinical-ops)'),
        roles: z.array(z.string().min(1).max(50)).max(20).describe('the declarer’s roles when declaring'),
        patientCount: z.number().int().min(1).max(50).describe('how many patients the grant names (never which)'),
        expiresAt: z.iso.datetime().describe('when the grant lapses'),
      })
      .strict(),
  }),
});

export type EventType = keyof typeof EVENT_CATALOG;
export type EventPayload<T extends EventType> = z.infer<(typeof EVENT_CATALOG)[T]['payload']>;

/** An event as it travels: the envelope every consumer receives. */
export interface EventEnvelope<T extends EventType = EventType> {
  /** Unique per event: consumers are idempotent by it. */
  id: string;
  type: T;
  tenantId: string;
  /** ISO-8601 time of the change. */
  occurredAt: string;
  actor: Actor;
  payload: EventPayload<T>;
  version: number;
}

/** `<domain>.<entity>.<verb>`, lower case with hyphens. */
export const EVENT_TYPE_PATTERN = /^[a-z][a-z-]*\.[a-z][a-z-]*\.[a-z][a-z-]*$/;

const envelopeSchema = z
  .object({
    id: z.uuid(),
    type: z.string().regex(EVENT_TYPE_PATTERN),
    tenantId: z.uuid(),
    occurredAt: z.iso.datetime({ offset: true }),
    actor: actorSchema,
    payload: z.record(z.string(), z.unknown()),
    version: z.number().int().min(1),
  })
  .strict();

/** True for a type the catalogue defines. */
export function isEventType(type: unknown): type is EventType {
  return typeof type === 'string' && Object.hasOwn(EVENT_CATALOG, type);
}

/**
 * The payload of `type`, validated against the catalogue; throws a ZodError naming the field.
 * Producers call it before writing, so nothing off-schema reaches an outbox.
 */
export function parsePayload<T extends EventType>(type: T, payload: unknown): EventPayload<T> {
  return EVENT_CATALOG[type].payload.parse(payload) as EventPayload<T>;
}

/**
 * An envelope as received, checked against the catalogue: a known type at the catalogued
 * version, and a payload of its schema. Throws (a ZodError or an Error naming the problem) so
 * that the worker sends what it cannot read to the dead-letter queue instead of guessing.
 */
export function parseEnvelope(raw: unknown): EventEnvelope {
  const envelope = envelopeSchema.parse(raw);
  if (!isEventType(envelope.type)) throw new Error(`Unknown event type ${envelope.type}`);
  const definition = EVENT_CATALOG[envelope.type];
  if (envelope.version !== definition.version) {
    throw new Error(`${envelope.type} version ${envelope.version} is not the catalogued version ${definition.version}`);
  }
  return { ...envelope, type: envelope.type, tenantId: envelope.tenantId.toLowerCase(), payload: definition.payload.parse(envelope.payload) };
}
