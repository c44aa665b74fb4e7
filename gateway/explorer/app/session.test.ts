/**
 * The explorer's logic in Node: the headers a session sends, and that every failure of the
 * gateway or the network comes back as a readable message, never an empty result.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { OPERATIONS_DIR } from '../../../lib/trusted-documents.js';
import {
  credentialFrom,
  describeToken,
  errorMessage,
  namespacedStorage,
  personaToken,
  postJson,
  requestHeaders,
  signIn,
  TENANTS_QUERY,
  type FetchLike,
  type Session,
} from './session.js';

/** A fetch that answers `status` with `body` (an object as JSON, a string as it is) and records what it was sent. */
function answering(status: number, body: unknown): FetchLike & { sent: { url: string; headers: Record<string, string>; body: string }[] } {
  const sent: { url: string; headers: Record<string, string>; body: string }[] = [];
  const fetchImpl = async (url: string, init: { headers: Record<string, string>; body: string }) => {
    sent.push({ url, headers: init.headers, body: init.body });
    return { status, text: async () => (typeof body === 'string' ? body : JSON.stringify(body)) };
  };
  return Object.assign(fetchImpl, { sent });
}

const unauthenticated = { errors: [{ message: 'Invalid token', extensions: { code: 'UNAUTHENTICATED' } }] };
const analyst: Session = { credential: { kind: 'bearer', token: 'eyJ.a.b' }, label: 'Analyst', persona: 'analyst', expiresAt: null };

describe('credentialFrom', () => {
  it('takes a token with or without its Bearer prefix, and a key as pasted', () => {
    expect(credentialFrom('bearer', '  Bearer eyJ.a.b \n')).toEqual({ kind: 'bearer', token: 'eyJ.a.b' });
    expect(credentialFrom('api-key', 'cgk_1_2_3')).toEqual({ kind: 'api-key', key: 'cgk_1_2_3' });
  });

  it('says why when there is nothing, or something no header can carry', () => {
    expect(credentialFrom('bearer', '   ')).toEqual({ error: 'Paste a token first' });
    expect(credentialFrom('bearer', 'eyJ.a\nb')).toMatchObject({ error: expect.stringMatching(/line break/) });
    expect(credentialFrom('api-key', 'clé')).toMatchObject({ error: expect.any(String) });
  });
});

describe('describeToken', () => {
  it('reads the subject, roles and expiry of a JWT for the page, and nothing from what is not one', () => {
    const payload = Buffer.from(JSON.stringify({ sub: 'demo-analyst', roles: ['analyst'], exp: 1_900_000_000 })).toString('base64url');
    expect(describeToken(`eyJhbGciOiJFUzI1NiJ9.${payload}.sig`)).toEqual({ label: 'demo-analyst (analyst)', expiresAt: '2030-03-17T17:46:40.000Z' });
    expect(describeToken('not-a-jwt')).toBeNull();
    expect(describeToken('a.%%%.c')).toBeNull();
  });
});

describe('requestHeaders', () => {
  it('carries the credential, and the tenant and purpose only when chosen', () => {
    expect(requestHeaders(analyst, { tenantId: null, purpose: ' ' })).toEqual({ 'content-type': 'application/json', authorization: 'Bearer eyJ.a.b' });
    const partner: Session = { ...analyst, credential: { kind: 'api-key', key: 'cgk_k' } };
    expect(requestHeaders(partner, { tenantId: 't-1', purpose: ' treatment ' })).toEqual({
      'content-type': 'application/json',
      'x-api-key': 'cgk_k',
      'x-tenant-id': 't-1',
      'x-purpose-of-use': 'treatment',
    });
  });
});

describe('errorMessage and postJson', () => {
  it('names the gateway’s message and code', () => {
    expect(errorMessage(401, unauthenticated)).toBe('Invalid token (UNAUTHENTICATED)');
    expect(errorMessage(502, { nothing: true })).toBe('The gateway answered HTTP 502 without a message');
  });

  it('turns a failed request and an answer that is not JSON into GraphQL errors', async () => {
    const offline: FetchLike = async () => {
      throw new TypeError('Failed to fetch');
    };
    expect(await postJson(offline, '/graphql', {}, {})).toEqual({ status: 0, result: { errors: [{ message: 'The request could not be sent: Failed to fetch' }] } });
    expect(await postJson(answering(502, '<html>Bad gateway</html>'), '/graphql', {}, {})).toEqual({
      status: 502,
      result: { errors: [{ message: 'The gateway answered HTTP 502 with something that is not JSON' }] },
    });
  });
});

describe('signIn', () => {
  it('lists the tenants the credential may act on, asking with that credential alone', async () => {
    const gateway = answering(200, { data: { tenants: { edges: [{ node: { id: 'a', name: 'Clinic A' } }] } } });
    expect(await signIn(gateway, { kind: 'bearer', token: 't' })).toEqual({ ok: true, tenants: [{ id: 'a', name: 'Clinic A' }], note: null });
    expect(gateway.sent[0]!.headers).toEqual({ 'content-type': 'application/json', authorization: 'Bearer t' });
    expect(JSON.parse(gateway.sent[0]!.body)).toEqual({ query: TENANTS_QUERY });
  });

  it('fails with the gateway’s message for a malformed or refused credential', async () => {
    expect(await signIn(answering(401, unauthenticated), { kind: 'bearer', token: 'nope' })).toEqual({ ok: false, message: 'Invalid token (UNAUTHENTICATED)' });
  });

  it('signs in a principal that may not list tenants, saying why the list is empty', async () => {
    const refused = { errors: [{ message: 'The caller lacks a scope this field requires', extensions: { code: 'INSUFFICIENT_SCOPE' } }] };
    expect(await signIn(answering(403, refused), { kind: 'api-key', key: 'k' })).toEqual({
      ok: true,
      tenants: [],
      note: 'No tenant list: The caller lacks a scope this field requires (INSUFFICIENT_SCOPE)',
    });
  });
});

describe('personaToken', () => {
  it('returns the token, or the route’s refusal as a message', async () => {
    const minted = { persona: 'analyst', label: 'Analyst', token: 'eyJ.x.y', expiresAt: '2030-01-01T00:00:00.000Z' };
    expect(await personaToken(answering(200, minted), 'analyst')).toEqual({ token: 'eyJ.x.y', label: 'Analyst', expiresAt: minted.expiresAt });
    const unknown = { errors: [{ message: 'Unknown persona "nurse"', extensions: { code: 'BAD_USER_INPUT' } }] };
    expect(await personaToken(answering(400, unknown), 'nurse')).toEqual({ error: 'Unknown persona "nurse" (BAD_USER_INPUT)' });
  });
});

describe('namespacedStorage', () => {
  it('keeps its keys under its prefix and clears only those', () => {
    const items = new Map<string, string>([['other:key', 'kept']]);
    const base = {
      getItem: (key: string) => items.get(key) ?? null,
      setItem: (key: string, value: string) => void items.set(key, value),
      removeItem: (key: string) => void items.delete(key),
      key: (index: number) => [...items.keys()][index] ?? null,
      clear: () => items.clear(),
      get length() {
        return items.size;
      },
    } satisfies Storage;
    const storage = namespacedStorage(base, 'explorer:');
    storage.setItem('tabs', '[]');
    expect(items.get('explorer:tabs')).toBe('[]');
    expect(storage.getItem('tabs')).toBe('[]');
    expect(storage.length).toBe(1);
    expect(storage.key(0)).toBe('tabs');
    storage.clear();
    expect([...items.keys()]).toEqual(['other:key']);
  });
});

describe('TENANTS_QUERY', () => {
  it('is the trusted document explorer-tenants.graphql exactly, so a safelist-only key can sign in', () => {
    expect(fs.readFileSync(path.join(OPERATIONS_DIR, 'explorer-tenants.graphql'), 'utf8')).toBe(TENANTS_QUERY);
  });
});
