/**
 * The explorer's logic without the page: who is signed in and with what credential, the
 * headers every request carries (credential, `x-tenant-id`, `x-purpose-of-use`), and talking
 * to the gateway so that every failure becomes a message a person can read — the gateway's
 * own message and code for its refusals, a sentence for a network failure or an answer that
 * is not JSON — never an empty result. Runs in the browser; tested in Node (session.test.ts).
 */

/** How the explorer authenticates: a Bearer JWT or a partner API key. */
export type Credential = { kind: 'bearer'; token: string } | { kind: 'api-key'; key: string };

export interface Session {
  credential: Credential;
  /** Who this is, for the page: a persona's label, or what was pasted. */
  label: string;
  /** The demo persona signed in as, if any (its examples are shown first). */
  persona: string | null;
  /** When the token expires, if known (ISO 8601). */
  expiresAt: string | null;
}

/** What a request acts on, chosen on the page. */
export interface RequestScope {
  tenantId: string | null;
  purpose: string;
}

export interface TenantOption {
  id: string;
  name: string;
}

/** What the gateway tells the page (`GET /graphiql/explorer.json`, gateway/explorer/routes.ts). */
export interface ExplorerConfig {
  /** Demo personas to sign in as; empty unless the gateway runs the development issuer. */
  personas: PersonaOption[];
  /** Saved example operations, one group per persona. */
  examples: ExampleGroup[];
}

export interface PersonaOption {
  id: string;
  label: string;
}

export interface ExampleGroup {
  persona: string;
  label: string;
  examples: Example[];
}

export interface Example {
  /** The file's name without `.graphql`. */
  name: string;
  /** The file's first comment line. */
  title: string;
  query: string;
}

interface GraphQLError {
  message: string;
  extensions?: { code?: unknown };
}

/** A GraphQL answer as GraphiQL shows it. */
export interface GraphQLResult {
  data?: unknown;
  errors?: GraphQLError[];
}

export type FetchLike = (url: string, init: { method: string; headers: Record<string, string>; body: string }) => Promise<Pick<Response, 'status' | 'text'>>;

/** Where the page finds the gateway's GraphQL endpoint and the development persona route. */
export const GRAPHQL_URL = '/graphql';
export const PERSONA_TOKEN_URL = '/dev/persona-token';

/**
 * What the tenant picker asks: the principal's own query, so it lists only what it may see. It
 * is also the trusted document `schema/operations/explorer-tenants.graphql`, character for
 * character (a test holds the two together), so a safelist-only API key can sign in too.
 */
export const TENANTS_QUERY = 'query ExplorerTenants { tenants(first: 100) { edges { node { id name } } } }';

/** The credential in pasted text (a "Bearer " prefix and surrounding space dropped), or why there is none. */
export function credentialFrom(kind: Credential['kind'], pasted: string): Credential | { error: string } {
  const text = pasted.trim().replace(/^Bearer\s+/i, '');
  if (text.length === 0) return { error: kind === 'bearer' ? 'Paste a token first' : 'Paste an API key first' };
  // A header value cannot hold line breaks or non-Latin-1 characters: fetch would refuse to send it.
  if (/[^\x20-\x7e]/.test(text)) return { error: 'The pasted text holds characters no token or key has (a line break, say)' };
  return kind === 'bearer' ? { kind, token: text } : { kind, key: text };
}

/**
 * Who a pasted token says it is (`sub` and roles) and when it expires, for the page only:
 * nothing is trusted from it, the gateway verifies every request. Null for what is not a JWT.
 */
export function describeToken(token: string): { label: string; expiresAt: string | null } | null {
  const payload = token.split('.')[1];
  if (!payload) return null;
  try {
    const claims = JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/'))) as { sub?: unknown; roles?: unknown; exp?: unknown };
    if (typeof claims.sub !== 'string') return null;
    const roles = Array.isArray(claims.roles) ? claims.roles.filter((role): role is string => typeof role === 'string') : [];
    return {
      label: roles.length ? `${claims.sub} (${roles.join(', ')})` : claims.sub,
      expiresAt: typeof claims.exp === 'number' ? new Date(claims.exp * 1000).toISOString() : null,
    };
  } catch {
    return null;
  }
}

/** The credential's own header. */
export function credentialHeaders(credential: Credential): Record<string, string> {
  return credential.kind === 'bearer' ? { authorization: `Bearer ${credential.token}` } : { 'x-api-key': credential.key };
}

/** Every header a request of the session carries. */
export function requestHeaders(session: Session, scope: RequestScope): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...credentialHeaders(session.credential) };
  if (scope.tenantId) headers['x-tenant-id'] = scope.tenantId;
  const purpose = scope.purpose.trim();
  if (purpose) headers['x-purpose-of-use'] = purpose;
  return headers;
}

/** One readable line for a failed answer: the first error's message and code, or the HTTP status. */
export function errorMessage(status: number, body: unknown): string {
  const first = (body as GraphQLResult | null)?.errors?.[0];
  if (first && typeof first.message === 'string') {
    const code = first.extensions?.code;
    return typeof code === 'string' ? `${first.message} (${code})` : first.message;
  }
  return `The gateway answered HTTP ${status} without a message`;
}

/**
 * POSTs JSON and resolves with the status and the parsed answer, whatever happens: a request
 * that cannot be sent, or an answer that is not JSON, becomes a GraphQL error with a message.
 */
export async function postJson(fetchImpl: FetchLike, url: string, body: unknown, headers: Record<string, string>): Promise<{ status: number; result: GraphQLResult }> {
  let response: Pick<Response, 'status' | 'text'>;
  try {
    response = await fetchImpl(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  } catch (error) {
    return { status: 0, result: { errors: [{ message: `The request could not be sent: ${error instanceof Error ? error.message : String(error)}` }] } };
  }
  const text = await response.text();
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed !== null && typeof parsed === 'object') return { status: response.status, result: parsed };
  } catch {
    // Not JSON: said below.
  }
  return { status: response.status, result: { errors: [{ message: `The gateway answered HTTP ${response.status} with something that is not JSON` }] } };
}

/**
 * Checks a credential by listing the tenants it may act on. A refused credential (401, or a
 * refusal before execution) fails with the gateway's message; a principal that may not list
 * tenants is still signed in, with no tenants and the reason.
 */
export async function signIn(fetchImpl: FetchLike, credential: Credential): Promise<{ ok: true; tenants: TenantOption[]; note: string | null } | { ok: false; message: string }> {
  const { status, result } = await postJson(fetchImpl, GRAPHQL_URL, { query: TENANTS_QUERY }, credentialHeaders(credential));
  // Refused credentials (401), malformed requests (400) and failures fail the sign-in; a 403 is
  // a principal that may not list tenants (a key without tenant:read, a suspended tenant).
  if (status === 0 || status === 400 || status === 401 || status >= 500) return { ok: false, message: errorMessage(status, result) };
  const edges = (result.data as { tenants?: { edges?: { node?: TenantOption }[] } } | null)?.tenants?.edges ?? [];
  const tenants = edges.flatMap((edge) => (edge.node && typeof edge.node.id === 'string' && typeof edge.node.name === 'string' ? [{ id: edge.node.id, name: edge.node.name }] : []));
  return { ok: true, tenants, note: result.errors?.length ? `No tenant list: ${errorMessage(status, result)}` : null };
}

/** A demo persona's short-lived token from the gateway's development route. */
export async function personaToken(fetchImpl: FetchLike, persona: string): Promise<{ token: string; label: string; expiresAt: string } | { error: string }> {
  const { status, result } = await postJson(fetchImpl, PERSONA_TOKEN_URL, { persona }, {});
  const answer = result as { token?: unknown; label?: unknown; expiresAt?: unknown };
  if (status === 200 && typeof answer.token === 'string' && typeof answer.label === 'string' && typeof answer.expiresAt === 'string') {
    return { token: answer.token, label: answer.label, expiresAt: answer.expiresAt };
  }
  return { error: errorMessage(status, result) };
}

/**
 * The `Storage` GraphiQL keeps its tabs and history in, under a prefix of its own so they do
 * not mix with another app's on the same origin. GraphiQL never stores responses there, and
 * the credential is never in its header editor (this page adds it to each request).
 */
export function namespacedStorage(base: Storage, prefix: string): Storage {
  const own = () => Array.from({ length: base.length }, (_, i) => base.key(i)).filter((key): key is string => key?.startsWith(prefix) ?? false);
  return {
    getItem: (key) => base.getItem(prefix + key),
    setItem: (key, value) => base.setItem(prefix + key, value),
    removeItem: (key) => base.removeItem(prefix + key),
    key: (index) => own()[index]?.slice(prefix.length) ?? null,
    clear: () => own().forEach((key) => base.removeItem(key)),
    get length() {
      return own().length;
    },
  };
}
