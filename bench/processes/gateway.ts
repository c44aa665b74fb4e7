/**
 * Child process: one gateway under test, alone in its process so that its memory and CPU
 * can be read from outside. `target` picks CareGraph's gateway or a baseline.
 */
import type { SubgraphName } from '../../lib/config.js';
import { loadConfig } from '../../lib/config.js';
import type { PresignedContexts } from '../contexts.js';
import { serveChild } from './serve.js';

export type GatewayTarget = 'caregraph' | 'apollo' | 'hive';

export interface GatewayStart {
  target: GatewayTarget;
  subgraphUrls: Record<SubgraphName, string>;
  /** Tokens the baselines forward (CareGraph signs its own). */
  contexts: PresignedContexts;
  /** CareGraph's HTTP front: node:http (the gateway's own, default) or Fastify (bench/http-front.ts compares them). */
  front?: 'node' | 'fastify';
}

export interface RunningGateway {
  url: string;
  close(): Promise<void>;
}

serveChild<{ url: string }>(async (payload) => {
  const { target, subgraphUrls, contexts, front } = payload as GatewayStart;
  const config = loadConfig();
  // Imported on demand: a process must not carry the memory of the gateways it does not run.
  let gateway: RunningGateway;
  if (target === 'caregraph') {
    const listen = front === 'fastify' ? (await import('../targets/fastify-front.js')).listenApolloOnFastify : undefined;
    gateway = await (await import('../../gateway/index.js')).start({ config, port: 0, subgraphUrls, listen });
  } else if (target === 'apollo') {
    gateway = await (await import('../targets/apollo.js')).startApolloBaseline({ host: config.host, subgraphUrls, contexts });
  } else {
    gateway = await (await import('../targets/hive.js')).startHiveBaseline({ host: config.host, subgraphUrls, contexts });
  }
  return { ready: { url: gateway.url }, close: () => gateway.close() };
});
