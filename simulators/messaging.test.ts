import { describe, expect, it } from 'vitest';
import { useTestSimulators } from './test-support.js';

const sms = { channel: 'sms', to: '+15555550123', template: 'appointment-reminder', variables: { clinic: 'Northside', hour: 9, confirm: true } };

describe('POST /messaging/messages', () => {
  const sim = useTestSimulators();
  const send = (body: unknown, key?: string) => sim.call('POST', '/messaging/messages', { body, key });

  it('queues an SMS or an e-mail with a message id', async () => {
    const text = await send(sms, 'reminder-1');
    expect(text.status).toBe(200);
    expect(text.body).toEqual({ messageId: expect.stringMatching(/^msg_[a-z2-9]{16}$/), status: 'queued' });
    const mail = await send({ channel: 'email', to: 'jane.doe@example.test', template: 'invoice.ready' }, 'reminder-2');
    expect(mail.body).toMatchObject({ status: 'queued' });
    expect((mail.body as { messageId: string }).messageId).not.toBe((text.body as { messageId: string }).messageId);
  });

  it('queues a message once per Idempotency-Key: the same key answers the first message id', async () => {
    const first = await send(sms, 'reminder-1');
    const again = await send({ ...sms, template: 'other' }, 'reminder-1');
    expect(again.text).toBe(first.text);
    expect((await sim.stats()).messaging).toMatchObject({ received: 1, distinctKeys: 1, duplicatesAnswered: 1, outcomes: { ok: 2 } });
  });

  it('refuses a message without a key, or with an address of the wrong kind, never echoing the address', async () => {
    const refused = async (body: unknown, key: string | undefined, pattern: RegExp) => {
      const reply = await send(body, key);
      expect(reply.status, reply.text).toBe(400);
      const { message } = (reply.body as { error: { message: string } }).error;
      expect(message).toMatch(pattern);
      return message;
    };
    await refused(sms, undefined, /needs an Idempotency-Key header/);
    expect(await refused({ ...sms, to: '555-0123' }, 'k1', /^Invalid message: to: must be an E\.164 phone number$/)).not.toContain('555');
    expect(await refused({ ...sms, channel: 'email' }, 'k2', /to: must be an e-mail address/)).not.toContain('5555550123');
    await refused({ ...sms, channel: 'fax' }, 'k3', /channel: /);
    await refused({ ...sms, template: 'Has Spaces' }, 'k4', /template: /);
    await refused({ ...sms, variables: { clinic: { nested: true } } }, 'k5', /variables\.clinic: /);
    expect((await sim.stats()).messaging).toMatchObject({ received: 0, outcomes: { refused: 6 } });
  });
});
