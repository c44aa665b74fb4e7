/**
 * Tenants' integration mappings through the gateway, with tenancy's and clinical-ops' workers
 * running (docs/integrations.md): a tenant admin's unprotected change applies at once and is
 * audited; bad input is BAD_USER_INPUT naming the field and writes nothing; a protected change
 * (endpoint, payer ids) waits for a four-eyes change request (setting `integration_mapping`) its
 * requester cannot approve and a second platform admin can, and is then applied — the connectors
 * call the approved endpoint with the approved payer id; a rejected one changes nothing; another
 * tenant's admin, a clinician and a partner key can neither read nor change a tenant's mappings.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appUrl, Database } from '../../lib/db/index.js';
import { waitFor } from '../../lib/jobs/test-support.js';
import type { RunningWorker } from '../../lib/services.js';
import type { InProcessPlatform } from '../../scripts/platform.js';
import { FakeSystems } from '../../subgraphs/clinical-ops/integrations/fake-systems.js';
import { createIntegrationGateway } from '../../subgraphs/clinical-ops/integrations/gateway.js';
import * as clinicalWorker from '../../subgraphs/clinical-ops/worker.js';
import * as tenancyWorker from '../../subgraphs/tenancy/worker.js';
import { TEST_APP_PASSWORD } from '../support/env.js';
import { adminQuery, adminUrl, bearer, bindingKey, dropScratchTenants, graphql, scratchTenant, startTestPlatform, startTestWorkers } from '../support/platform.js';

let platform: InProcessPlatform;
let workers: RunningWorker[] = [];
let remote: FakeSystems;
const scratch: string[] = [];
let tenantId: string;
let otherTenantId: string;

const alice = () => bearer(['platform_admin'], { subject: 'mappings-alice' });
const bob = () => bearer(['platform_admin'], { subject: 'mappings-bob' });
const tenantAdmin = () => bearer(['tenant_admin'], { tenantId, subject: 'mappings-tenant-admin' });

interface Mapping {
  connector: string;
  enabled: boolean;
  baseUrl: string | null;
  payerIds: { tenantPayerCode: string; payerId: string }[];
  fieldMap: { providerId: string | null; placeOfService: string | null; templates: { template: string }[] | null };
  timeoutMs: number;
  breaker: { failureThreshold: number; coolDownMs: number };
  revision: number;
  updatedBy: string | null;
}
interface Change {
  id: string;
  connector: string;
  status: string;
  changesBaseUrl: boolean;
  baseUrl: string | null;
  payerIds: { tenantPayerCode: string; payerId: string }[] | null;
  requestedBy: string;
  decidedBy: string | null;
}
const MAPPING = 'connector enabled baseUrl payerIds { tenantPayerCode payerId } fieldMap { providerId placeOfService templates { template } } timeoutMs breaker { failureThreshold coolDownMs } revision updatedBy';
const CHANGE = 'id connector status changesBaseUrl baseUrl payerIds { tenantPayerCode payerId } requestedBy decidedBy';
const MAPPINGS = `query M($t: ID) { integrationMappings(tenantId: $t) { ${MAPPING} } }`;
const CHANGES = `query C($t: ID) { integrationMappingChanges(tenantId: $t) { ${CHANGE} } }`;
const SET = `mutation S($input: SetIntegrationMappingInput!) { setIntegrationMapping(input: $input) { ${MAPPING} } }`;
const REQUEST = `mutation R($input: RequestIntegrationMappingChangeInput!) { requestIntegrationMappingChange(input: $input) { ${CHANGE} } }`;

type Response<T> = Awaited<ReturnType<typeof graphql<T>>>;
const call = <T>(query: string, variables: Record<string, unknown>, headers: Record<string, string>): Promise<Response<T>> => graphql<T>(platform.gateway.url, query, { variables, headers });
const codesOf = (response: { body: { errors?: { extensions?: Record<string, unknown> }[] } }) => (response.body.errors ?? []).map((e) => e.extensions?.code);

async function ok<T>(query: string, variables: Record<string, unknown>, headers: Record<string, string>): Promise<T> {
  const response = await call<T>(query, variables, headers);
  expect(response.body.errors).toBeUndefined();
  return response.body.data!;
}
const mappingsOf = async (headers: Record<string, string>, t?: string) => (await ok<{ integrationMappings: Mapping[] }>(MAPPINGS, { t }, headers)).integrationMappings;
const mappingOf = async (connector: string) => (await mappingsOf(await tenantAdmin())).find((m) => m.connector === connector)!;
const changeOf = async (id: string) => (await ok<{ integrationMappingChanges: Change[] }>(CHANGES, { t: tenantId }, await bob())).integrationMappingChanges.find((c) => c.id === id);
const changeRequest = async (id: string) =>
  (
    await ok<{ changeRequests: { id: string; setting: string; status: string; requestedBy: string; value: string }[] }>(
      'query L($t: ID!) { changeRequests(tenantId: $t) { id setting status requestedBy value } }',
      { t: tenantId },
      await bob(),
    )
  ).changeRequests.find((request) => request.id === id);
const decide = (mutation: 'approveChange' | 'rejectChange', id: string, headers: Record<string, string>) =>
  call<Record<string, { status: string }>>(`mutation D($id: ID!) { ${mutation}(id: $id) { status } }`, { id }, headers);
const auditActions = async () =>
  (await adminQuery<{ action: string }>(`SELECT action FROM tenancy.audit_log WHERE chain = $1 ORDER BY seq`, [`tenant:${tenantId}`])).map((row) => row.action);
const rowsOf = async (t: string) => (await adminQuery<{ n: number }>('SELECT count(*)::int AS n FROM clinical_ops.integration_mappings WHERE tenant_id = $1', [t]))[0]!.n;

beforeAll(async () => {
  platform = await startTestPlatform();
  workers = await startTestWorkers([tenancyWorker, clinicalWorker]);
  remote = await FakeSystems.start();
  tenantId = await scratchTenant('Mappings Clinic');
  otherTenantId = await scratchTenant('Mappings Other Clinic');
  scratch.push(tenantId, otherTenantId);
  await adminQuery(`UPDATE tenancy.tenants SET status = 'active' WHERE id = ANY($1::uuid[])`, [[tenantId, otherTenantId]]);
});
afterAll(async () => {
  await Promise.all(workers.map((worker) => worker.close()));
  await platform?.close();
  await remote?.close();
  await dropScratchTenants(scratch);
});

describe('integration mappings', () => {
  it('read as the platform’s defaults for every connector until the tenant sets any', async () => {
    const mappings = await mappingsOf(await tenantAdmin());
    expect(mappings.map((m) => m.connector)).toEqual(['PAYER_ELIGIBILITY', 'PAYER_CLAIMS', 'EHR', 'PHARMACY', 'MESSAGING']);
    expect(mappings.find((m) => m.connector === 'PAYER_CLAIMS')).toMatchObject({
      enabled: true,
      baseUrl: null,
      payerIds: [],
      fieldMap: { providerId: 'NPI', placeOfService: '11', templates: null },
      timeoutMs: 10_000,
      revision: 0,
      updatedBy: null,
    });
    // A platform admin names the tenant.
    expect((await mappingsOf(await alice(), tenantId)).map((m) => m.revision)).toEqual([0, 0, 0, 0, 0]);
  });

  it('apply a tenant admin’s unprotected change at once, as a new revision, into the tenant’s audit chain', async () => {
    const input = { connector: 'PAYER_CLAIMS', timeoutMs: 2_500, breakerFailureThreshold: 3, fieldMap: { providerId: 'TAX_ID', placeOfService: '02' } };
    const { setIntegrationMapping } = await ok<{ setIntegrationMapping: Mapping }>(SET, { input }, await tenantAdmin());
    expect(setIntegrationMapping).toMatchObject({ timeoutMs: 2_500, breaker: { failureThreshold: 3 }, fieldMap: { providerId: 'TAX_ID', placeOfService: '02' }, revision: 1 });
    expect(await mappingOf('PAYER_CLAIMS')).toMatchObject({ timeoutMs: 2_500, revision: 1, updatedBy: expect.stringContaining('mappings-tenant-admin') as unknown });
    // Null resets a field to its default; what is left out stays.
    const reset = await ok<{ setIntegrationMapping: Mapping }>(SET, { input: { connector: 'PAYER_CLAIMS', breakerFailureThreshold: null } }, await tenantAdmin());
    expect(reset.setIntegrationMapping).toMatchObject({ timeoutMs: 2_500, breaker: { failureThreshold: 5 }, revision: 2 });
    await waitFor('the change audited', async () => ((await auditActions()).filter((a) => a === 'integration_mapping.applied').length === 2 ? true : undefined));
  });

  it('refuse bad input naming the field, and write nothing', async () => {
    const before = await mappingOf('PAYER_CLAIMS');
    const bad: [Record<string, unknown>, string][] = [
      [{ connector: 'PAYER_CLAIMS', timeoutMs: 50 }, 'input.timeoutMs'],
      [{ connector: 'PAYER_CLAIMS', breakerCoolDownMs: 0 }, 'input.breakerCoolDownMs'],
      [{ connector: 'PAYER_CLAIMS', fieldMap: { placeOfService: 'office' } }, 'input.fieldMap.placeOfService'],
      [{ connector: 'PAYER_CLAIMS', fieldMap: { templates: [{ template: 'reminder', providerTemplate: 'T-1' }] } }, 'input.fieldMap'],
      [{ connector: 'PAYER_CLAIMS' }, 'input'],
    ];
    for (const [input, argument] of bad) {
      const response = await call(SET, { input }, await tenantAdmin());
      expect(codesOf(response), JSON.stringify(input)).toEqual(['BAD_USER_INPUT']);
      expect(response.body.errors![0]!.extensions!.argument).toBe(argument);
      expect(response.body.errors![0]!.message).toContain(argument);
    }
    const protectedBad: [Record<string, unknown>, string][] = [
      [{ connector: 'EHR', baseUrl: 'https://user:pw@ehr.example', justification: 'move' }, 'input.baseUrl'],
      [{ connector: 'EHR', payerIds: [{ tenantPayerCode: 'A', payerId: 'B' }], justification: 'x' }, 'input.payerIds'],
      [{ connector: 'PAYER_CLAIMS', payerIds: [{ tenantPayerCode: 'A', payerId: 'not/an/id' }], justification: 'x' }, 'input.payerIds.A'],
      [{ connector: 'PAYER_CLAIMS', baseUrl: 'https://claims.example', justification: '   ' }, 'input.justification'],
    ];
    for (const [input, argument] of protectedBad) {
      const response = await call(REQUEST, { input }, await tenantAdmin());
      expect(codesOf(response), JSON.stringify(input)).toEqual(['BAD_USER_INPUT']);
      expect(response.body.errors![0]!.extensions!.argument).toBe(argument);
    }
    expect(await mappingOf('PAYER_CLAIMS')).toEqual(before);
    expect(await adminQuery('SELECT 1 FROM clinical_ops.integration_mapping_changes WHERE tenant_id = $1', [tenantId])).toEqual([]);
  });

  let approved: Change;

  it('hold a protected change until a second platform admin approves it; the connectors then call the approved endpoint with the approved payer id', async () => {
    const input = {
      connector: 'PAYER_CLAIMS',
      baseUrl: `${remote.url}/acme`,
      payerIds: [{ tenantPayerCode: 'ACME', payerId: 'ACME-77' }],
      justification: 'Acme Health moved claims to its own clearinghouse endpoint',
    };
    approved = (await ok<{ requestIntegrationMappingChange: Change }>(REQUEST, { input }, await tenantAdmin())).requestIntegrationMappingChange;
    expect(approved).toMatchObject({ status: 'PENDING', changesBaseUrl: true, baseUrl: `${remote.url}/acme`, payerIds: [{ tenantPayerCode: 'ACME', payerId: 'ACME-77' }] });
    expect(await mappingOf('PAYER_CLAIMS')).toMatchObject({ baseUrl: null, payerIds: [], revision: 2 });
    // One pending protected change per connector.
    const second = await call(REQUEST, { input: { ...input, baseUrl: 'https://elsewhere.example' } }, await tenantAdmin());
    expect(codesOf(second)).toEqual(['BAD_USER_INPUT']);

    const request = await waitFor('the four-eyes request opened', () => changeRequest(approved.id));
    expect(request).toMatchObject({ setting: 'integration_mapping', status: 'PENDING', requestedBy: expect.stringContaining('mappings-tenant-admin') as unknown });
    expect(JSON.parse(request.value)).toMatchObject({ connector: 'payer_claims', baseUrl: `${remote.url}/acme`, payerIds: { ACME: 'ACME-77' } });
    expect((await decide('approveChange', approved.id, await bob())).body.data!.approveChange!.status).toBe('APPROVED');
    const applied = await waitFor('the change applied', async () => ((await changeOf(approved.id))?.status === 'APPLIED' ? changeOf(approved.id) : undefined));
    expect(applied.decidedBy).toContain('mappings-bob');
    expect(await mappingOf('PAYER_CLAIMS')).toMatchObject({
      baseUrl: `${remote.url}/acme`,
      payerIds: [{ tenantPayerCode: 'ACME', payerId: 'ACME-77' }],
      timeoutMs: 2_500,
      revision: 3,
      updatedBy: expect.stringContaining('mappings-bob') as unknown,
    });
    await waitFor('the request applied in tenancy', async () => ((await changeRequest(approved.id))?.status === 'APPLIED' ? true : undefined));

    // The connector path reads the applied mapping from the database.
    const db = new Database({ url: appUrl(adminUrl(), TEST_APP_PASSWORD), schema: 'clinical_ops', poolSize: 1, bindingKey: bindingKey() });
    const gateway = createIntegrationGateway({ db, baseUrl: 'http://127.0.0.1:1', flushIntervalMs: false });
    try {
      const outcome = await gateway.payerClaims.call({
        tenantId,
        idempotencyKey: 'claim:e2e-1:submit',
        payload: {
          payerId: 'ACME',
          claimId: 'E2E-1',
          memberId: 'MBR-1',
          patient: { givenName: 'Test', familyName: 'Patient', birthDate: '1980-01-01' },
          provider: { npi: '1234567893', name: 'Mappings Clinic', taxId: '12-3456789' },
          diagnosisCodes: ['J06.9'],
          lines: [{ procedureCode: '99213', chargeMinor: 10_000, serviceDate: '2024-03-07' }],
        },
      });
      expect(outcome).toMatchObject({ kind: 'accepted', body: { status: 'accepted' } });
      const [sent] = remote.received('POST', '/acme/payers/ACME-77/claims');
      expect(sent!.body).toMatchObject({ billingProvider: { identifierQualifier: 'FI' }, claim: { placeOfService: '02' } });
    } finally {
      await gateway.close();
      await db.close();
    }
  });

  it('refuse the requester’s own approval, and leave a rejected change unapplied', async () => {
    const requested = (
      await ok<{ requestIntegrationMappingChange: Change }>(
        REQUEST,
        { input: { tenantId, connector: 'EHR', baseUrl: 'https://ehr.mappings.example/fhir', justification: 'EHR vendor migration' } },
        await alice(),
      )
    ).requestIntegrationMappingChange;
    await waitFor('the four-eyes request opened', () => changeRequest(requested.id));
    expect(codesOf(await decide('approveChange', requested.id, await alice()))).toEqual(['SELF_APPROVAL_FORBIDDEN']);
    expect((await decide('rejectChange', requested.id, await bob())).body.data!.rejectChange!.status).toBe('REJECTED');
    await waitFor('the change rejected', async () => ((await changeOf(requested.id))?.status === 'REJECTED' ? true : undefined));
    expect(await mappingOf('EHR')).toMatchObject({ baseUrl: null, revision: 0 });
    expect(codesOf(await decide('approveChange', requested.id, await bob()))).toEqual(['INVALID_TRANSITION']);
    // integration_mapping requests are opened by clinical-ops only.
    const direct = await call(
      'mutation Q($input: RequestChangeInput!) { requestChange(input: $input) { id } }',
      { input: { tenantId, setting: 'integration_mapping', value: '{"connector": "ehr"}', justification: 'sneaking past clinical-ops' } },
      await alice(),
    );
    expect(codesOf(direct)).toEqual(['BAD_USER_INPUT']);
  });

  it('let no other tenant’s admin, clinician or partner key read or change a tenant’s mappings', async () => {
    const outsider = await bearer(['tenant_admin'], { tenantId: otherTenantId, subject: 'mappings-outsider' });
    const before = await mappingOf('PAYER_CLAIMS');
    expect(codesOf(await call(MAPPINGS, { t: tenantId }, outsider))).toEqual(['TENANT_FORBIDDEN']);
    expect(codesOf(await call(CHANGES, { t: tenantId }, outsider))).toEqual(['TENANT_FORBIDDEN']);
    expect(codesOf(await call(SET, { input: { tenantId, connector: 'PAYER_CLAIMS', timeoutMs: 60_000 } }, outsider))).toEqual(['TENANT_FORBIDDEN']);
    expect(codesOf(await call(REQUEST, { input: { tenantId, connector: 'PAYER_CLAIMS', baseUrl: 'https://evil.example', justification: 'x' } }, outsider))).toEqual(['TENANT_FORBIDDEN']);
    // Its own view is its own tenant's defaults: nothing of the other tenant's.
    const own = await mappingsOf(outsider);
    expect(own.every((m) => m.revision === 0 && m.baseUrl === null)).toBe(true);
    expect((await ok<{ integrationMappingChanges: Change[] }>(CHANGES, {}, outsider)).integrationMappingChanges).toEqual([]);

    const clinician = await bearer(['clinician'], { tenantId, subject: 'mappings-clinician' });
    expect(codesOf(await call(MAPPINGS, {}, clinician))).toEqual(['INSUFFICIENT_SCOPE']);
    expect(codesOf(await call(SET, { input: { connector: 'PAYER_CLAIMS', timeoutMs: 60_000 } }, clinician))).toEqual(['INSUFFICIENT_SCOPE']);
    // A biller holds the scopes but is no admin.
    const biller = await bearer(['biller'], { tenantId, subject: 'mappings-biller' });
    expect(codesOf(await call(SET, { input: { connector: 'PAYER_CLAIMS', timeoutMs: 60_000 } }, biller))).toEqual(['INSUFFICIENT_SCOPE']);
    // Support staff at platform level are not platform admins.
    const support = await bearer(['support'], { subject: 'mappings-support' });
    expect(codesOf(await call(MAPPINGS, { t: tenantId }, support))).toEqual(['INSUFFICIENT_SCOPE']);

    expect(await mappingOf('PAYER_CLAIMS')).toEqual(before);
    expect(await rowsOf(otherTenantId)).toBe(0);
  });

  it('write every state into the tenant’s audit chain', async () => {
    const expected = ['integration_mapping.applied', 'integration_mapping.pending_approval', 'change.requested', 'change.approved', 'change.applied', 'change.rejected', 'integration_mapping.rejected'];
    await waitFor('every state audited', async () => {
      const actions = await auditActions();
      return expected.every((action) => actions.includes(action)) ? actions : undefined;
    });
  });
});
