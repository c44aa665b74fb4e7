/**
 * The simulators process: offline stand-ins for the external systems the clinical workflows call
 * (payer eligibility and claims, an EHR, a pharmacy network, patient messaging), on one HTTP
 * server, with the routes of the wire contract (subgraphs/clinical-ops/integrations/contract.ts)
 * and an admin API (admin.ts). `npm start` runs it as a process of its own; tests start it
 * in-process on port 0.
 *
 * One request, whatever the system: the route validates it (400 otherwise) and names whom it is
 * about; the attempt number for that identity and the seed give its draws; the first draw picks
 * its injected fault from the system's knobs. A failure answers 503 before anything is done. The
 * work is done otherwise — an idempotent create answers the first receipt under its key, or is
 * received now — and then the answer is held (timeout), garbled (malformed) or sent, after the
 * system's latency. So a claim whose answer was lost to a timeout was received, as with a real
 * payer, and its retry under the same key is answered from the receipt.
 *
 * It listens on 127.0.0.1 only, whatever HOST says: it answers anyone without authentication.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../lib/config.js';
import { CareGraphError } from '../lib/errors.js';
import { readJson } from '../lib/http/body.js';
import { closeGracefully } from '../lib/http/shutdown.js';
import { createLogger, type Logger } from '../lib/logger.js';
import type { RunningService } from '../lib/services.js';
import { adminAnswer, type Administered } from './admin.js';
import { ehr } from './ehr.js';
import { BODY_LIMIT_BYTES, errorAnswer, idempotencyKeyOf, INTERNAL_ERROR, routerOf, send, sendMalformed, TIMED_OUT, UNAVAILABLE, type Matched } from './http.js';
import { configuredKnobs, faultOf, type Fault, type Knobs, type KnobTable } from './knobs.js';
import { messaging } from './messaging.js';
import { payerClaims } from './payer-claims.js';
import { payerEligibility } from './payer-eligibility.js';
import { pharmacy } from './pharmacy.js';
import { drawsFor } from './random.js';
import { DEFAULT_LIMITS, SimulatorState, type Outcome, type StateLimits } from './state.js';
import type { Answer, SimulatedSystem, SystemContext } from './system.js';

export const name = 'simulators';

/** Every simulated system, one file each. */
export const SIMULATED_SYSTEMS: readonly SimulatedSystem[] = [payerEligibility, payerClaims, ehr, pharmacy, messaging];

/** Loopback: the simulators have no authentication, and nothing outside this machine needs them. */
const LOOPBACK = '127.0.0.1';

export interface SimulatorsOptions {
  config: Config;
  /** Port to listen on; defaults to SIMULATORS_PORT (0 picks a free port). */
  port?: number;
  /** The clock pharmacy statuses advance by and receipts are dated with; tests move their own. */
  now?: () => number;
  /** Bounds of the memory (state.ts); tests shrink them to see what happens past them. */
  limits?: StateLimits;
  logger?: Logger;
}

/** Starts the simulators; resolves once they listen. */
export async function start(options: SimulatorsOptions): Promise<RunningService> {
  const { config } = options;
  const logger = options.logger ?? createLogger(name, config.logLevel);
  const simulators = new Simulators(config, options.now ?? Date.now, options.limits ?? DEFAULT_LIMITS, logger);
  const server = http.createServer((req, res) => void simulators.handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? config.ports.simulators, LOOPBACK, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${LOOPBACK}:${port}`;
  logger.info({ url, seed: config.simulators.seed }, 'simulators ready');
  return {
    name,
    url,
    port,
    async close() {
      // Held and delayed answers end now (their connections are closed): nothing would wait for them.
      simulators.stopping.abort();
      await closeGracefully(server, config.shutdownGraceMs);
    },
  };
}

class Simulators implements Administered {
  knobs: KnobTable;
  readonly stopping = new AbortController();
  private readonly state: SimulatorState;
  private readonly route: (method: string, pathname: string) => Matched;
  private readonly seed: number;

  constructor(
    private readonly config: Config,
    private readonly now: () => number,
    limits: StateLimits,
    private readonly logger: Logger,
  ) {
    this.seed = config.simulators.seed;
    this.knobs = configuredKnobs(config);
    this.state = new SimulatorState(new Set(SIMULATED_SYSTEMS.filter((system) => system.routes.some((route) => route.idempotent)).map((system) => system.name)), limits);
    this.route = routerOf(SIMULATED_SYSTEMS);
  }

  reset(): void {
    this.knobs = configuredKnobs(this.config);
    this.state.clear();
  }

  stats() {
    return this.state.stats();
  }

  async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    // Ends this request's waits when its client goes away or the server stops.
    const gone = new AbortController();
    res.once('close', () => gone.abort());
    const signal = AbortSignal.any([this.stopping.signal, gone.signal]);
    const pathname = new URL(req.url ?? '/', 'http://simulators').pathname;
    try {
      if (pathname === '/healthz') return send(res, { status: 200, body: { status: 'ok', service: name, seed: this.seed } });
      if (pathname.startsWith('/admin/')) return send(res, await adminAnswer(req, pathname, this));
      await this.serve(this.route(req.method ?? 'GET', pathname), req, res, signal);
    } catch (error) {
      if (error instanceof CareGraphError) return send(res, errorAnswer(error));
      if (signal.aborted) return void res.destroy();
      // Never the request: its path and body may carry member ids.
      this.logger.error({ err: { name: (error as Error).name, message: (error as Error).message }, path: pathname.split('/')[1] }, 'simulator request failed');
      send(res, INTERNAL_ERROR);
    }
  }

  private async serve({ system, route, params }: Matched, req: http.IncomingMessage, res: http.ServerResponse, signal: AbortSignal): Promise<void> {
    const started = Date.now();
    const knobs = this.knobs[system.name];
    const context: SystemContext = {
      seed: this.seed,
      now: this.now,
      records: this.state.recordsOf(system.name),
      receipt: (scope, key) => this.state.receipt(system.name, scope, key),
    };
    let fault: Fault;
    let draws = () => 0;
    let answer: Answer;
    const drawFor = (identity: string): Fault => {
      draws = drawsFor(this.seed, system.name, identity, this.state.attempt(system.name, identity));
      return faultOf(knobs, draws());
    };
    try {
      const body = route.method === 'POST' ? await readJson(req, BODY_LIMIT_BYTES) : undefined;
      if (route.idempotent) {
        const key = idempotencyKeyOf(req, route);
        const accepted = route.accept({ params, body, key });
        fault = drawFor(`${accepted.scope}\n${key}`);
        answer = fault === 'failure' ? UNAVAILABLE : this.receive(system, accepted.scope, key, body, () => accepted.answer(context));
      } else {
        const accepted = route.accept({ params, body });
        fault = drawFor(accepted.identity);
        answer = fault === 'failure' ? UNAVAILABLE : accepted.answer(context);
      }
    } catch (error) {
      if (!(error instanceof CareGraphError)) throw error;
      answer = errorAnswer(error);
    }
    // Counted as decided, before any wait: a test reading the stats right after its client gave up sees it.
    const outcome: Outcome = fault === 'failure' ? 'failed' : (fault ?? (answer.status < 400 ? 'ok' : 'refused'));
    this.state.count(system.name, outcome);
    await this.deliver(res, answer, fault, draws, knobs, signal);
    this.logger.debug({ system: system.name, route: `${route.method} ${route.path}`, status: res.statusCode, outcome, ms: Date.now() - started }, 'simulated');
  }

  /** The first receipt's answer under `key`, or this request received now. */
  private receive(system: SimulatedSystem, scope: string, key: string, request: unknown, answer: () => Answer): Answer {
    const earlier = this.state.replay(system.name, scope, key);
    if (earlier) return earlier.answer;
    const first = answer();
    this.state.record(system.name, scope, key, { request, answer: first, receivedAt: new Date(this.now()).toISOString() });
    return first;
  }

  /** Sends `answer` as the fault says. A wait cut short (client gone, server stopping) drops the connection instead. */
  private async deliver(res: http.ServerResponse, answer: Answer, fault: Fault, draws: () => number, knobs: Knobs, signal: AbortSignal): Promise<void> {
    const ms = fault === 'timeout' ? knobs.hangMs : knobs.latencyMs;
    try {
      if (ms > 0) await sleep(ms, undefined, { signal });
    } catch {
      res.destroy();
      return;
    }
    if (fault === 'timeout') send(res, TIMED_OUT);
    else if (fault === 'malformed') sendMalformed(res, answer, draws());
    else send(res, answer);
  }
}
