import type http from 'node:http';
import { describe, expect, it } from 'vitest';
import { BadUserInputError, MethodNotAllowedError, NotFoundError } from '../lib/errors.js';
import { errorAnswer, idempotencyKeyOf, routerOf, sendMalformed } from './http.js';
import type { Route, SimulatedSystem } from './system.js';

const route = (method: 'GET' | 'POST', path: string): Route => ({ method, path, accept: () => ({ identity: '', answer: () => ({ status: 200, body: {} }) }) });
const systems: SimulatedSystem[] = [
  { name: 'payer_claims', routes: [route('POST', '/payers/:payerId/claims'), route('GET', '/payers/:payerId/claims/:key')] },
  { name: 'pharmacy', routes: [route('GET', '/pharmacy/prescriptions/:id')] },
];
const match = routerOf(systems);

describe('routerOf', () => {
  it('matches a path template, decoding its parameters', () => {
    const found = match('GET', '/payers/acme/claims/tenant%3A1%2Fclaim%3A8');
    expect(found.system.name).toBe('payer_claims');
    expect(found.route.path).toBe('/payers/:payerId/claims/:key');
    expect(found.params).toEqual({ payerId: 'acme', key: 'tenant:1/claim:8' });
    expect(match('POST', '/payers/acme/claims').params).toEqual({ payerId: 'acme' });
  });

  it('answers 405 naming the methods of a path it serves otherwise, 404 for any other path, 400 for bad encoding', () => {
    expect(() => match('GET', '/payers/acme/claims')).toThrow(MethodNotAllowedError);
    try {
      match('DELETE', '/pharmacy/prescriptions/rx-1');
    } catch (error) {
      expect(errorAnswer(error as MethodNotAllowedError)).toMatchObject({ status: 405, headers: { allow: 'GET' } });
    }
    for (const path of ['/payers/acme/claims/', '/payers//claims', '/pharmacy/prescriptions', '/pharmacy/prescriptions/rx-1/x', '/']) {
      expect(() => match('GET', path), path).toThrow(NotFoundError);
    }
    expect(() => match('GET', '/pharmacy/prescriptions/%E0%A4%A')).toThrow(/id is not validly percent-encoded/);
  });
});

describe('idempotencyKeyOf', () => {
  const claims = systems[0]!.routes[0]!;
  const request = (headers: http.IncomingHttpHeaders) => ({ headers }) as http.IncomingMessage;

  it('reads one key of 1–200 visible ASCII characters, and refuses a missing or odd one', () => {
    expect(idempotencyKeyOf(request({ 'idempotency-key': 'claim:1:submit' }), claims)).toBe('claim:1:submit');
    expect(() => idempotencyKeyOf(request({}), claims)).toThrow('POST /payers/:payerId/claims needs an Idempotency-Key header');
    expect(() => idempotencyKeyOf(request({ 'idempotency-key': '' }), claims)).toThrow(BadUserInputError);
    for (const key of ['has space', 'é', 'k'.repeat(201)]) expect(() => idempotencyKeyOf(request({ 'idempotency-key': key }), claims), key).toThrow(/must be one value/);
  });
});

describe('errorAnswer', () => {
  it('answers a registered error with the status its code has and { error: { code, message } }', () => {
    expect(errorAnswer(new BadUserInputError('nope'))).toEqual({ status: 400, body: { error: { code: 'BAD_USER_INPUT', message: 'nope' } } });
    expect(errorAnswer(new NotFoundError('gone'))).toEqual({ status: 404, body: { error: { code: 'NOT_FOUND', message: 'gone' } } });
  });
});

describe('sendMalformed', () => {
  const sent = (draw: number) => {
    const out: { status?: number; headers?: Record<string, string>; text?: string } = {};
    const res = {
      headersSent: false,
      destroyed: false,
      writeHead: (status: number, headers: Record<string, string>) => Object.assign(out, { status, headers }),
      end: (text: string) => Object.assign(out, { text }),
    } as unknown as http.ServerResponse;
    sendMalformed(res, { status: 201, body: { payerClaimId: 'PCN-1', status: 'accepted', reasons: [] } }, draw);
    return out;
  };

  it('answers 200 with the answer cut off, an HTML page, or JSON of another shape, by the draw', () => {
    const cut = sent(0.1);
    expect(cut.status).toBe(200);
    expect(() => JSON.parse(cut.text!) as unknown).toThrow();
    expect(cut.text).toBe('{"payerClaimId":"PCN-1","sta');
    expect(sent(0.5)).toMatchObject({ status: 200, headers: { 'content-type': 'text/html; charset=utf-8' } });
    const other = sent(0.9);
    expect(JSON.parse(other.text!)).toEqual({ result: 'OK' });
    expect(other.headers).toMatchObject({ 'content-type': 'application/json; charset=utf-8', 'content-length': String(other.text!.length) });
  });
});
