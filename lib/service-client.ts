/**
 * Service-to-service reads: GET an internal route of a subgraph with a signed *service*
 * context addressed to it. The token is reused for half its lifetime.
 */
import { randomUUID } from 'node:crypto';
import type { SubgraphName } from './config.js';
import { CONTEXT_HEADER, type ContextSigner, type TenantContext } from './tenant-context.js';

const TIMEOUT_MS = 2_000;

export class ServiceClient {
  private readonly tokens = new Map<string, { token: Promise<string>; renewAt: number }>();

  constructor(
    private readonly service: string,
    private readonly signer: ContextSigner,
    private readonly urls: Readonly<Record<SubgraphName, string>>,
    private readonly ttlSeconds: number,
  ) {}

  /** Reads from an internal route. */
  async get<T>(subgraph: SubgraphName, route: string, params: Record<string, string>): Promise<T> {
    const url = new URL(`/internal/${route}`, this.urls[subgraph]);
    for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
    return this.call<T>(subgraph, route, url, { method: 'GET' });
  }

  /** Writes through an internal route (JSON body); resolves once the subgraph has committed it. */
  async post<T>(subgraph: SubgraphName, route: string, body: unknown): Promise<T> {
    const url = new URL(`/internal/${route}`, this.urls[subgraph]);
    return this.call<T>(subgraph, route, url, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  }

  private async call<T>(subgraph: SubgraphName, route: string, url: URL, init: { method: string; body?: string; headers?: Record<string, string> }): Promise<T> {
    const response = await fetch(url, {
      ...init,
      headers: { ...init.headers, [CONTEXT_HEADER]: await this.token(subgraph) },
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    if (!response.ok) throw new Error(`${subgraph} /internal/${route} answered ${response.status}`);
    return (await response.json()) as T;
  }

  private token(audience: string): Promise<string> {
    const now = Date.now();
    const cached = this.tokens.get(audience);
    if (cached && cached.renewAt > now) return cached.token;
    const context: TenantContext = {
      requestId: randomUUID(),
      access: 'platform',
      tenantId: null,
      principal: { id: this.service, kind: 'service' },
      roles: [],
      scopes: [],
      entitlements: [],
    };
    const token = this.signer.sign(context, audience);
    this.tokens.set(audience, { token, renewAt: now + (this.ttlSeconds * 1000) / 2 });
    return token;
  }
}
