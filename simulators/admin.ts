/**
 * The simulators' admin API, for tests and for operators trying the platform by hand. It is never
 * slowed down or failed by the knobs it sets.
 *
 *   GET  /admin/knobs    the knobs of every system
 *   PUT  /admin/knobs    { [system]: { latencyMs?, failureRate?, timeoutRate?, malformedRate?, hangMs? } }:
 *                        the named knobs change, the rest stay; invalid → 400 naming the field, nothing changed
 *   POST /admin/reset    knobs back to the configuration, every receipt, record and count forgotten
 *   GET  /admin/stats    per system: requests, their outcomes, and for idempotent creates the receipts
 */
import type http from 'node:http';
import { readJson } from '../lib/http/body.js';
import { MethodNotAllowedError, NotFoundError } from '../lib/errors.js';
import { BODY_LIMIT_BYTES } from './http.js';
import { patchKnobs, type KnobTable } from './knobs.js';
import type { SystemStats } from './state.js';
import type { Answer, SystemName } from './system.js';

/** What the admin API acts on. */
export interface Administered {
  knobs: KnobTable;
  reset(): void;
  stats(): Record<SystemName, SystemStats>;
}

const ROUTES: Record<string, readonly string[]> = { '/admin/knobs': ['GET', 'PUT'], '/admin/reset': ['POST'], '/admin/stats': ['GET'] };

export async function adminAnswer(req: http.IncomingMessage, pathname: string, target: Administered): Promise<Answer> {
  const methods = ROUTES[pathname];
  if (!methods) throw new NotFoundError(`No admin route here (${Object.keys(ROUTES).join(', ')})`);
  const method = req.method ?? 'GET';
  if (!methods.includes(method)) throw new MethodNotAllowedError(`Use ${methods.join(' or ')} on ${pathname}`, { allow: methods.join(', ') });
  switch (`${method} ${pathname}`) {
    case 'PUT /admin/knobs':
      // patchKnobs throws before anything is assigned: a refused body changes nothing.
      target.knobs = patchKnobs(target.knobs, await readJson(req, BODY_LIMIT_BYTES));
      return { status: 200, body: target.knobs };
    case 'POST /admin/reset':
      target.reset();
      return { status: 200, body: target.knobs };
    case 'GET /admin/stats':
      return { status: 200, body: target.stats() };
    default:
      return { status: 200, body: target.knobs };
  }
}
