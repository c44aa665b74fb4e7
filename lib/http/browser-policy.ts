/**
 * What the HTTP front tells browsers about its answers (the gateway turns it on; subgraphs are
 * never reached from a browser):
 *
 * - security headers on every answer: `x-content-type-options: nosniff` and
 *   `referrer-policy: no-referrer` always; `strict-transport-security` only on answers that
 *   reached the client over HTTPS (a TLS-terminating proxy says so in `x-forwarded-proto`),
 *   since browsers ignore it over plain HTTP; and on JSON answers (GraphQL results, refusals,
 *   errors) a CSP that lets them run and embed nothing, `x-frame-options: DENY` for browsers
 *   without `frame-ancestors`, and `cache-control: no-store` as Apollo Server sets it on
 *   results, so that no refusal or error about PHI sits in a shared cache either. Answers that
 *   are bytes (the explorer's page and assets) keep their own headers: the page sets its own
 *   CSP, and a `default-src 'none'` on a worker script would stop the worker;
 * - CORS for the GraphQL path, from an allow-list of exact origins (CORS_ALLOWED_ORIGINS):
 *   an allowed origin gets `access-control-allow-origin` naming it, preflights are answered
 *   204 with the methods and request headers the gateway takes, and every answer of the path
 *   says `vary: origin` so that a cache never serves one origin's answer to another. A
 *   disallowed origin gets no CORS header at all, so its page cannot read any answer. No
 *   `access-control-allow-credentials`: callers authenticate with a header, never a cookie,
 *   so a cross-origin page cannot ride a session it does not hold.
 */
import type http from 'node:http';

export interface BrowserPolicyOptions {
  /** Origins (`scheme://host[:port]`, exactly as browsers send them) whose pages may call the GraphQL path. Empty: none. */
  allowedOrigins: readonly string[];
  /** Request headers such a page may send beyond the CORS-safelisted ones (lower case). */
  allowedHeaders: readonly string[];
  /** Response headers such a page may read beyond the CORS-safelisted ones (rate-limit state, say). */
  exposedHeaders?: readonly string[];
}

/** Headers of every answer, whatever its content. */
const ALWAYS: Readonly<Record<string, string>> = Object.freeze({
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
});

/**
 * Headers of JSON answers, set first so that an answer may still set its own: a JSON answer is
 * data, never a document to render, frame or keep.
 */
export const JSON_ANSWER_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
});

/** A year; without includeSubDomains, since the gateway cannot know its parent domain's other hosts. */
const HSTS = 'max-age=31536000';

/**
 * How long a browser may reuse a preflight's answer (seconds). Ten minutes: a page calling the
 * API pays one preflight per ten minutes, and an origin removed from the list loses access
 * within that time on pages already open.
 */
const PREFLIGHT_MAX_AGE_SECONDS = 600;

export class BrowserPolicy {
  private readonly origins: ReadonlySet<string>;
  private readonly allowedHeaders: string;
  private readonly exposedHeaders: string | undefined;

  constructor(options: BrowserPolicyOptions) {
    this.origins = new Set(options.allowedOrigins);
    this.allowedHeaders = options.allowedHeaders.join(', ');
    this.exposedHeaders = options.exposedHeaders?.length ? options.exposedHeaders.join(', ') : undefined;
  }

  /** Security headers for any answer to `req`, JSON or not. */
  securityHeaders(req: http.IncomingMessage): Record<string, string> {
    return overHttps(req) ? { ...ALWAYS, 'strict-transport-security': HSTS } : { ...ALWAYS };
  }

  /**
   * CORS headers for an answer on the GraphQL path: `vary: origin` whenever some origin is
   * allowed (the answer then depends on it), the origin itself when it is allowed.
   */
  corsHeaders(req: http.IncomingMessage): Record<string, string> {
    if (this.origins.size === 0) return {};
    const origin = this.allowedOrigin(req);
    if (!origin) return { vary: 'origin' };
    return {
      vary: 'origin',
      'access-control-allow-origin': origin,
      ...(this.exposedHeaders ? { 'access-control-expose-headers': this.exposedHeaders } : {}),
    };
  }

  /**
   * The answer to an OPTIONS request on the GraphQL path: 204 with `allow`, and for a preflight
   * from an allowed origin what it may send. A disallowed origin's preflight gets no CORS
   * header, which is how a browser learns it may not send the request.
   */
  preflight(req: http.IncomingMessage, methods: string): { status: 204; headers: Record<string, string> } {
    const headers: Record<string, string> = { allow: `${methods}, OPTIONS`, 'content-length': '0', ...this.corsHeaders(req) };
    if (headers['access-control-allow-origin'] && req.headers['access-control-request-method'] !== undefined) {
      headers['access-control-allow-methods'] = methods;
      headers['access-control-allow-headers'] = this.allowedHeaders;
      headers['access-control-max-age'] = String(PREFLIGHT_MAX_AGE_SECONDS);
    }
    return { status: 204, headers };
  }

  private allowedOrigin(req: http.IncomingMessage): string | undefined {
    const origin = req.headers.origin;
    return typeof origin === 'string' && this.origins.has(origin) ? origin : undefined;
  }
}

/**
 * Whether the client reached us over HTTPS: a TLS socket, or a proxy that terminated TLS and
 * says so. The header is taken on trust: a client that forges it over plain HTTP gets an HSTS
 * header, which browsers ignore on a plain-HTTP answer.
 */
function overHttps(req: http.IncomingMessage): boolean {
  if ((req.socket as { encrypted?: boolean }).encrypted === true) return true;
  const forwarded = req.headers['x-forwarded-proto'];
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim().toLowerCase();
  return first === 'https';
}
