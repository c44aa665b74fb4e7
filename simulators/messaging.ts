/**
 * A patient messaging provider (SMS and e-mail).
 *
 *   POST /messaging/messages    { channel: 'sms' | 'email', to, template, variables }, header Idempotency-Key
 *                               → 200 { messageId, status: 'queued' }
 *
 * Every well-formed message is queued; nothing is delivered. The same key again answers the first
 * messageId and queues nothing more, so a reminder retried after a crash reaches the patient once.
 */
import { z } from 'zod';
import { drawsFor, idFrom } from './random.js';
import { parseWith, type SimulatedSystem } from './system.js';

const template = z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/, 'must be a template name (lower-case letters, digits, _ . -)');
const variables = z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, 'must be a variable name'), z.union([z.string().max(1_000), z.number(), z.boolean()])).optional();

export const messageRequest = z.discriminatedUnion('channel', [
  z.object({ channel: z.literal('sms'), to: z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 phone number'), template, variables }),
  z.object({ channel: z.literal('email'), to: z.email('must be an e-mail address'), template, variables }),
]);

export const messaging: SimulatedSystem = {
  name: 'messaging',
  routes: [
    {
      method: 'POST',
      path: '/messaging/messages',
      idempotent: true,
      accept({ body, key }) {
        parseWith(messageRequest, body, 'Invalid message');
        return {
          scope: 'messages',
          answer: ({ seed }) => ({ status: 200, body: { messageId: `msg_${idFrom(drawsFor(seed, 'messaging', key), 16).toLowerCase()}`, status: 'queued' } }),
        };
      },
    },
  ],
};
