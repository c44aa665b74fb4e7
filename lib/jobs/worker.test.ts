/**
 * Worker definitions: subscriptions come from the consumers, and the mistakes a definition can
 * hold are refused before anything starts. (The runtime itself, in child processes:
 * worker.int.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { defineConsumer } from '../events/consumer.js';
import { defineQueue } from './queues.js';
import { defineWorker } from './worker.js';

const events = defineQueue({ name: 'tenancy.events' });
const consumer = (name: string) => defineConsumer({ name, queue: events, type: 'clinical-ops.break-glass.declared', handle: async () => undefined });

describe('defineWorker', () => {
  it('subscribes each consumer’s queue to the consumer’s event type', () => {
    const worker = defineWorker({ service: 'tenancy', dbSchema: 'tenancy', jobs: [], consumers: [consumer('audit'), consumer('metrics')], relay: true });
    expect(worker.queues).toEqual([expect.objectContaining({ name: 'tenancy.events', events: ['clinical-ops.break-glass.declared'] })]);
  });

  it('refuses a queue that carries both jobs and events, two handlers of one queue, and two consumers of one name', () => {
    const handle = async () => undefined;
    expect(() => defineWorker({ service: 'tenancy', dbSchema: 'tenancy', jobs: [{ queue: events, handle }], consumers: [consumer('audit')], relay: false })).toThrow(/carries jobs/);
    expect(() => defineWorker({ service: 'tenancy', dbSchema: 'tenancy', jobs: [{ queue: events, handle }, { queue: events, handle }], consumers: [], relay: false })).toThrow(/two job handlers/);
    expect(() => defineWorker({ service: 'tenancy', dbSchema: 'tenancy', jobs: [], consumers: [consumer('audit'), consumer('audit')], relay: false })).toThrow(/share a name/);
  });
});
