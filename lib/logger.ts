/**
 * Structured logs (pino). Every line written inside a request carries its request id and
 * tenant id. Log only identifiers and counts: never field values of clinical records.
 */
import { pino, type DestinationStream, type Logger } from 'pino';
import { currentRequestContext } from './request-context.js';

export type { Logger };

/** Creates the logger of one service. */
export function createLogger(service: string, level: string = process.env.LOG_LEVEL ?? 'info', destination?: DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service },
    mixin() {
      const context = currentRequestContext();
      return context
        ? { requestId: context.requestId, correlationId: context.correlationId ?? undefined, tenantId: context.tenantId ?? undefined }
        : {};
    },
    redact: {
      // Defence in depth: should a request object ever be logged, credentials stay out.
      paths: ['req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers["x-caregraph-context"]'],
      remove: true,
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
