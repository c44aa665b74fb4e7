/**
 * Per-request context in AsyncLocalStorage, so that logs, SQL helpers and loaders can read
 * the tenant and request id without threading them through every call.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { TenantContext } from './tenant-context.js';

const storage = new AsyncLocalStorage<TenantContext>();

/** Runs `fn` with `context` as the current request context. */
export function runWithRequestContext<T>(context: TenantContext, fn: () => T): T {
  return storage.run(context, fn);
}

/** The current request context, or undefined outside a request (start-up, jobs). */
export function currentRequestContext(): TenantContext | undefined {
  return storage.getStore();
}

/** The current request context; throws when called outside a request, which is a bug. */
export function requireRequestContext(): TenantContext {
  const context = storage.getStore();
  if (!context) throw new Error('No request context: this code must run inside a request');
  return context;
}

/**
 * Makes `context` current for the rest of this asynchronous call chain. For frameworks whose
 * hooks cannot wrap the handler in a callback (Fastify's onRequest); prefer runWithRequestContext.
 */
export function enterRequestContext(context: TenantContext): void {
  storage.enterWith(context);
}
