/**
 * Patient messaging (sms or e-mail), sent with the call's `Idempotency-Key`: a reminder retried
 * after a crash is delivered once. The workflow names a template of its own and the tenant's
 * field map gives the provider's template id for it (`templates`; a name it does not map is
 * sent as it is). The address and the variables go to the provider and nowhere else: no outcome
 * message, log line or event carries them.
 */
import { z } from 'zod';
import type { Connector, ConnectorCall, ConnectorOutcome } from './contract.js';
import { invalidPayload, readBody, type Transport } from './transport.js';
import { messageAnswerSchema, type MessageRequest } from './wire.js';

const variables = z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,39}$/), z.string().max(200)).refine((map) => Object.keys(map).length <= 20, 'at most 20 variables');

export const messagePayloadSchema = z.discriminatedUnion('channel', [
  z.object({ channel: z.literal('sms'), to: z.string().regex(/^\+[1-9]\d{6,14}$/), template: z.string().regex(/^[a-z][a-z0-9_]{0,39}$/), variables: variables.default({}) }),
  z.object({ channel: z.literal('email'), to: z.email().max(254), template: z.string().regex(/^[a-z][a-z0-9_]{0,39}$/), variables: variables.default({}) }),
]);
/** A message to send: an E.164 number for sms, an address for e-mail; the workflow's template name and its variables. */
export type MessagePayload = z.input<typeof messagePayloadSchema>;

/** The provider took the message for delivery. */
export interface MessageReceipt {
  messageId: string;
  status: 'queued';
}

export type MessagingConnector = Connector<MessagePayload, MessageReceipt>;

/** The messaging connector over `transport`. */
export function createMessagingConnector(transport: Transport): MessagingConnector {
  return {
    kind: 'messaging',
    call(request: ConnectorCall<MessagePayload>): Promise<ConnectorOutcome<MessageReceipt>> {
      return transport.call<MessageReceipt>({
        connector: 'messaging',
        tenantId: request.tenantId,
        signal: request.signal,
        prepare(mapping) {
          const parsed = messagePayloadSchema.safeParse(request.payload);
          if (!parsed.success) return invalidPayload('messaging', parsed.error);
          const { channel, to, template, variables: values } = parsed.data;
          const body: MessageRequest = { channel, to, template: mapping.fieldMap.templates[template] ?? template, variables: values };
          return { method: 'POST', path: '/messaging/messages', body, idempotencyKey: request.idempotencyKey };
        },
        interpret(answer) {
          const read = readBody('messaging', messageAnswerSchema, answer.body);
          return 'verdict' in read ? read.verdict : { kind: 'accepted', body: { messageId: read.data.messageId, status: 'queued' } };
        },
      });
    },
  };
}
