/**
 * The integration gateway's contract (docs/integrations.md): what a workflow asks of an external
 * system, and what it gets back. Every external system — payer eligibility, payer claims, EHR,
 * pharmacy, patient messaging — sits behind one `Connector`, so the workflows never see HTTP,
 * endpoints or a tenant's field maps, and retry governance sees one kind of outcome.
 *
 * The offline simulators (simulators/) implement the systems' side of the same wire contract:
 *
 *   POST /payers/{payerId}/eligibility        X12 270-shaped JSON → 200 with a 271-shaped body
 *   POST /payers/{payerId}/claims             837-shaped JSON, header Idempotency-Key →
 *                                             200 { payerClaimId, status: 'accepted' | 'rejected', reasons[] };
 *                                             the same key again answers the first answer and counts nothing
 *   GET  /payers/{payerId}/claims/{key}       the claim received under that key (200, the body its submission
 *                                             answered), or 404 when none was
 *   GET  /ehr/fhir/{type}/{id}                FHIR R4 read (Patient, Appointment, Coverage)
 *   POST /ehr/fhir/{type}                     FHIR R4 create, header Idempotency-Key
 *   GET  /pharmacy/prescriptions/{id}         { id, status: 'received' | 'filled' | 'ready' | 'picked_up' | 'canceled' }
 *   POST /messaging/messages                  { channel: 'sms' | 'email', to, template, variables }, header Idempotency-Key →
 *                                             200 { messageId, status: 'queued' }
 *   Every system answers 4xx for a request it refuses (final), 5xx or no answer in time when it
 *   fails (retryable); its latency and failure rate are knobs (GET/PUT /admin/knobs).
 *
 * The bodies of these routes (the X12 270/271/837 shapes as JSON, FHIR resources, messages) are
 * zod schemas in wire.ts. The connectors, one file each beside this one, map the workflows'
 * system-neutral payloads onto them with the tenant's mapping (mapping.ts); gateway.ts builds
 * them all for a process (`createIntegrationGateway`).
 */
import { INTEGRATION_CONNECTORS } from '../../../lib/events/catalog.js';
import type { RetryableReason } from '../../../lib/workflows/retry-governance.js';

/** The external systems, one connector each. */
export const CONNECTOR_KINDS = INTEGRATION_CONNECTORS;
export type ConnectorKind = (typeof CONNECTOR_KINDS)[number];

/** One call to an external system, on behalf of one tenant. */
export interface ConnectorCall<P> {
  tenantId: string;
  /**
   * Sent with the request as `Idempotency-Key`; the same key always names the same business
   * act (a claim's submission, a reminder's delivery), so a retry after a crash cannot repeat it.
   */
  idempotencyKey: string;
  /** The operation's own, system-neutral input; the connector maps it with the tenant's mapping. */
  payload: P;
  /**
   * Aborts the call (a job's attempt given up): the outcome is then `retryable: timeout`, and it
   * says nothing about the system, so its circuit breaker does not count it.
   */
  signal?: AbortSignal;
}

/**
 * What became of a call. `accepted`: the system did it and answered `body`. `rejected`: the
 * system refused it for good (a 4xx; also a connector the tenant disabled, or a payload the
 * connector cannot send) — retrying cannot help. `retryable`: it may work later (timeout, 5xx,
 * 408/429, connection refused, circuit open, an answer that does not parse). A payer that
 * received a claim and rejected it is `accepted` with `status: 'rejected'` in the body
 * (payer-claims.ts): the claim reached the payer, which answered. Messages and codes carry no PHI.
 */
export type ConnectorOutcome<B> =
  | { kind: 'accepted'; body: B; latencyMs: number }
  | { kind: 'rejected'; code: string; message: string; latencyMs: number }
  | { kind: 'retryable'; reason: RetryableReason; message: string; latencyMs: number };

/** One external system behind the gateway. Implementations never throw for the system's behaviour: they answer an outcome. */
export interface Connector<P, B> {
  readonly kind: ConnectorKind;
  call(request: ConnectorCall<P>): Promise<ConnectorOutcome<B>>;
}
