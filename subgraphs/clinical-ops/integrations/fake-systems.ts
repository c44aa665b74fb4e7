/**
 * For tests: the external systems' side of the wire contract (contract.ts) as a tiny node:http
 * server on 127.0.0.1 — a test double of the remote systems, not of anything of the platform's.
 * By default it answers every route as a healthy system does (claims and messages remembered by
 * idempotency key, lookups from what it received, knobs stored); a test scripts the next answers
 * of a route instead — a status and body, a body that is not JSON, an answer that never comes,
 * a connection dropped — and reads back every request it received.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { ConnectorKind } from './contract.js';
import { defaultRow, effectiveMapping, type MappingRow } from './mapping.js';
import type { MappingSource } from './mapping-store.js';

/**
 * Mappings held in memory, for the connectors' unit tests (the database-backed store has its own
 * test against PostgreSQL): `set` what a tenant's connector has stored; `failing` makes reads fail.
 */
export class MemoryMappings implements MappingSource {
  private readonly rows = new Map<string, MappingRow>();
  failing = false;

  set(tenantId: string, connector: ConnectorKind, fields: Partial<MappingRow>): this {
    this.rows.set(`${tenantId}:${connector}`, { ...defaultRow(tenantId, connector, 'test'), revision: 1, updated_at: new Date(), ...fields });
    return this;
  }

  async mappingOf(tenantId: string, connector: ConnectorKind) {
    if (this.failing) throw new Error('the database is unavailable');
    return effectiveMapping(tenantId, connector, this.rows.get(`${tenantId}:${connector}`));
  }
}

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: unknown;
}

/** One scripted answer. */
export type Scripted =
  | { status: number; body?: unknown; raw?: string; headers?: Record<string, string>; delayMs?: number }
  /** Never answers (until the server closes). */
  | 'hang'
  /** Destroys the connection without an answer. */
  | 'drop';

interface Script {
  method: string;
  prefix: string;
  answers: Scripted[];
  /** Answers every matching request with the last answer, for ever. */
  sticky: boolean;
}

/** The 271 of a member with active coverage: plan, co-payment 25.00, deductible left 1,500.00. */
export const ACTIVE_271 = {
  transactionSet: '271',
  benefits: [
    { code: '1', serviceTypeCode: '30', planCoverage: 'Gold PPO' },
    { code: 'B', serviceTypeCode: '30', amount: '25.00' },
    { code: 'C', serviceTypeCode: '30', timePeriod: '23', amount: '3000.00' },
    { code: 'C', serviceTypeCode: '30', timePeriod: '29', amount: '1500.00' },
  ],
};

export class FakeSystems {
  readonly requests: ReceivedRequest[] = [];
  /** What PUT /admin/knobs stored. */
  knobs: Record<string, unknown> = {};
  private readonly scripts: Script[] = [];
  private readonly claims = new Map<string, unknown>();
  private readonly messages = new Map<string, unknown>();
  private readonly created = new Map<string, unknown>();
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly server: http.Server) {}

  static async start(): Promise<FakeSystems> {
    const server = http.createServer();
    const fake = new FakeSystems(server);
    server.on('request', (req, res) => void fake.handle(req, res));
    server.on('connection', (socket) => {
      fake.sockets.add(socket);
      socket.on('close', () => fake.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The next answers of requests whose method is `method` and path starts with `prefix`, one each, then the default again. */
  next(method: string, prefix: string, ...answers: Scripted[]): this {
    this.scripts.push({ method, prefix, answers, sticky: false });
    return this;
  }

  /** Every request of `method` under `prefix` gets `answer` from now on (until `reset`). */
  always(method: string, prefix: string, answer: Scripted): this {
    this.scripts.push({ method, prefix, answers: [answer], sticky: true });
    return this;
  }

  /** Forgets the scripts and the requests received. */
  reset(): void {
    this.scripts.length = 0;
    this.requests.length = 0;
  }

  /** Requests received under `prefix`. */
  received(method: string, prefix: string): ReceivedRequest[] {
    return this.requests.filter((request) => request.method === method && request.path.startsWith(prefix));
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = text;
    }
    const request: ReceivedRequest = { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, body };
    this.requests.push(request);
    const script = this.scripts.find((s) => s.method === request.method && request.path.startsWith(s.prefix) && s.answers.length > 0);
    const answer = script ? (script.sticky ? script.answers[0]! : script.answers.shift()!) : this.healthy(request);
    if (answer === 'hang') return;
    if (answer === 'drop') {
      req.socket.destroy();
      return;
    }
    if (answer.delayMs) await new Promise((resolve) => setTimeout(resolve, answer.delayMs));
    const payload = answer.raw ?? (answer.body === undefined ? '' : JSON.stringify(answer.body));
    res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
    res.end(payload);
  }

  /** What a healthy system answers. */
  private healthy({ method, path, headers, body }: ReceivedRequest): Exclude<Scripted, 'hang' | 'drop'> {
    const key = String(headers['idempotency-key'] ?? '');
    const segments = path.split('?')[0]!.split('/').filter(Boolean).map(decodeURIComponent);
    // Under any base path (a tenant's endpoint `…/acme` reaches `…/acme/payers/…`).
    const root = segments.findIndex((segment) => ['payers', 'ehr', 'pharmacy', 'messaging', 'admin'].includes(segment));
    const parts = root === -1 ? segments : segments.slice(root);
    if (parts[0] === 'payers' && parts[2] === 'eligibility' && method === 'POST') {
      return { status: 200, body: { ...ACTIVE_271, controlNumber: (body as { controlNumber?: string }).controlNumber } };
    }
    if (parts[0] === 'payers' && parts[2] === 'claims' && method === 'POST') {
      const claimKey = `${parts[1]}/${key}`;
      if (!this.claims.has(claimKey)) {
        const claimId = String((body as { claim?: { claimId?: string } }).claim?.claimId ?? '');
        const rejected = claimId.startsWith('REJECT');
        this.claims.set(claimKey, {
          payerClaimId: `PCN-${this.claims.size + 1}`,
          status: rejected ? 'rejected' : 'accepted',
          reasons: rejected ? [{ code: 'CO-16', message: 'Claim lacks information needed for adjudication' }] : [],
        });
      }
      return { status: 200, body: this.claims.get(claimKey) };
    }
    if (parts[0] === 'payers' && parts[2] === 'claims' && method === 'GET') {
      const held = this.claims.get(`${parts[1]}/${parts[3]}`);
      return held ? { status: 200, body: held } : { status: 404, body: { error: 'not_found' } };
    }
    if (parts[0] === 'ehr' && parts[1] === 'fhir' && method === 'GET') {
      if (parts[3] === 'missing') return { status: 404, body: { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-found' }] } };
      return { status: 200, body: { resourceType: parts[2], id: parts[3], meta: { versionId: '1' } } };
    }
    if (parts[0] === 'ehr' && parts[1] === 'fhir' && method === 'POST') {
      if (!this.created.has(key)) this.created.set(key, { ...(body as object), resourceType: parts[2], id: `ehr-${this.created.size + 1}` });
      return { status: 201, body: this.created.get(key) };
    }
    if (parts[0] === 'pharmacy' && parts[1] === 'prescriptions' && method === 'GET') {
      return parts[2] === 'missing' ? { status: 404 } : { status: 200, body: { id: parts[2], status: 'ready' } };
    }
    if (parts[0] === 'messaging' && method === 'POST') {
      if (!this.messages.has(key)) this.messages.set(key, { messageId: `msg-${this.messages.size + 1}`, status: 'queued' });
      return { status: 200, body: this.messages.get(key) };
    }
    if (parts[0] === 'admin' && parts[1] === 'knobs') {
      if (method === 'PUT') {
        for (const [system, knobs] of Object.entries(body as Record<string, object>)) this.knobs[system] = { ...(this.knobs[system] as object), ...knobs };
      }
      return { status: 200, body: this.knobs };
    }
    return { status: 404, body: { error: 'no such route' } };
  }
}
