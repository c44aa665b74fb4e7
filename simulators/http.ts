/**
 * The wire side shared by every simulated system and the admin API: matching a path to a
 * route, the Idempotency-Key header, errors as `{ error: { code, message } }` with the status
 * the error registry gives their code, and the bodies an injected "malformed" fault sends.
 */
import type http from 'node:http';
import { BadUserInputError, ErrorCode, type CareGraphError, HTTP_STATUS, MethodNotAllowedError, NotFoundError } from '../lib/errors.js';
import { IDEMPOTENCY_KEY, type Answer, type Route, type SimulatedSystem } from './system.js';

/** The body a simulator reads at most; claims are the largest, far below this. */
export const BODY_LIMIT_BYTES = 1_000_000;

export interface Matched {
  system: SimulatedSystem;
  route: Route;
  params: Record<string, string>;
}

/** Finds the route of a request among the systems': 404 for no such path, 405 for a path served with other methods. */
export function routerOf(systems: readonly SimulatedSystem[]): (method: string, pathname: string) => Matched {
  const table = systems.flatMap((system) => system.routes.map((route) => ({ system, route, segments: route.path.split('/') })));
  return (method, pathname) => {
    const segments = pathname.split('/');
    const allowed: string[] = [];
    for (const { system, route, segments: template } of table) {
      const params = matchSegments(template, segments);
      if (!params) continue;
      if (route.method === method) return { system, route, params };
      allowed.push(route.method);
    }
    if (allowed.length > 0) throw new MethodNotAllowedError(`Use ${allowed.join(' or ')} on this path`, { allow: allowed.join(', ') });
    throw new NotFoundError('No simulated system answers this path (docs/simulators.md lists the routes)');
  };
}

function matchSegments(template: readonly string[], segments: readonly string[]): Record<string, string> | undefined {
  if (template.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (const [index, part] of template.entries()) {
    const segment = segments[index]!;
    if (!part.startsWith(':')) {
      if (part !== segment) return undefined;
      continue;
    }
    if (segment === '') return undefined;
    try {
      params[part.slice(1)] = decodeURIComponent(segment);
    } catch {
      throw new BadUserInputError(`${part.slice(1)} is not validly percent-encoded`);
    }
  }
  return params;
}

/** The request's Idempotency-Key; 400 when it is missing or not 1–200 visible ASCII characters. */
export function idempotencyKeyOf(req: http.IncomingMessage, route: Route): string {
  const value = req.headers['idempotency-key'];
  if (value === undefined || value === '') throw new BadUserInputError(`${route.method} ${route.path} needs an Idempotency-Key header`);
  if (typeof value !== 'string' || !IDEMPOTENCY_KEY.test(value)) throw new BadUserInputError('Idempotency-Key must be one value of 1–200 visible ASCII characters');
  return value;
}

/** A registered error as the simulators answer it. */
export function errorAnswer(error: CareGraphError): Answer {
  const allow = error.extensions.allow;
  return {
    status: HTTP_STATUS[error.code],
    body: { error: { code: error.code, message: error.message } },
    ...(typeof allow === 'string' ? { headers: { allow } } : {}),
  };
}

/** The answer of an unexpected error: masked, the cause is in the simulators' log. */
export const INTERNAL_ERROR: Answer = { status: 500, body: { error: { code: ErrorCode.InternalServerError, message: 'Internal server error' } } };

/** An injected failure: the system is down and did nothing. */
export const UNAVAILABLE: Answer = {
  status: 503,
  body: { error: { code: ErrorCode.ServiceUnavailable, message: 'The system is temporarily unavailable; nothing was done. Retry later' } },
};

/** What a request drawn to time out gets once `hangMs` has passed, if its client is still waiting. */
export const TIMED_OUT: Answer = {
  status: 504,
  body: { error: { code: ErrorCode.GatewayTimeout, message: 'The system did not answer in time' } },
};

export function send(res: http.ServerResponse, answer: Answer): void {
  const text = JSON.stringify(answer.body);
  write(res, answer.status, { 'content-type': 'application/json; charset=utf-8', ...answer.headers }, text);
}

/**
 * A 200 whose body is not what the route answers, chosen by `draw`: the real answer cut off
 * halfway (not JSON), a proxy's HTML error page, or JSON of another shape. A connector must
 * take each for a malformed answer, not for an acknowledgement.
 */
export function sendMalformed(res: http.ServerResponse, answer: Answer, draw: number): void {
  const json = { 'content-type': 'application/json; charset=utf-8' };
  const text = JSON.stringify(answer.body);
  const variant = Math.floor(draw * 3);
  if (variant === 0) write(res, 200, json, text.slice(0, Math.max(1, Math.floor(text.length / 2))));
  else if (variant === 1) write(res, 200, { 'content-type': 'text/html; charset=utf-8' }, '<!doctype html><html><body><h1>502 Bad Gateway</h1></body></html>');
  else write(res, 200, json, '{"result":"OK"}');
}

function write(res: http.ServerResponse, status: number, headers: Record<string, string>, text: string): void {
  // The client may be gone (it timed out) or the server stopping: nothing left to answer.
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { ...headers, 'content-length': String(Buffer.byteLength(text)) });
  res.end(text);
}
