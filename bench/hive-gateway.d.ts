/**
 * The part of `@graphql-hive/gateway` the Hive baseline uses (bench/targets/hive.ts). The
 * package is installed into bench/node_modules by `npm run bench:install`, not by the root
 * install, so the type check cannot rely on its own declarations being there.
 */
declare module '@graphql-hive/gateway' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  interface GatewayRuntimeOptions {
    /** The supergraph SDL. */
    supergraph: string;
    transportEntries?: Record<string, { location?: string; options?: { deduplicateInflightRequests?: boolean } }>;
    logging?: boolean | 'debug' | 'info' | 'warn' | 'error';
    requestId?: boolean;
    propagateHeaders?: {
      fromClientToSubgraphs?(payload: { request: Request; subgraphName: string }): Record<string, string> | undefined;
    };
  }

  /** A fetch-API handler that node:http can serve directly. */
  interface GatewayRuntime {
    (request: IncomingMessage, response: ServerResponse): void;
    dispose(): Promise<void> | void;
  }

  export function createGatewayRuntime(options: GatewayRuntimeOptions): GatewayRuntime;
}
