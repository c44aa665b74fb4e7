/**
 * Keeps the processes of `npm start` running: one that exits while the platform is not stopping
 * is started again after a delay that doubles with each crash in a row (1 s, 2 s, 4 s … at most
 * 30 s), and the reason is logged each time. A process that has stayed up for a minute starts
 * over at the shortest delay. The other processes go on serving meanwhile: the gateway answers
 * a dead subgraph's fields with SUBGRAPH_UNAVAILABLE until it is back.
 */
import type { ChildProcess } from 'node:child_process';

export interface SupervisorOptions {
  /** Delay before the first restart after a crash. */
  initialDelayMs?: number;
  /** Longest delay between restarts. */
  maxDelayMs?: number;
  /** A process up this long has recovered: its next crash is restarted after `initialDelayMs` again. */
  stableAfterMs?: number;
  log: (message: string) => void;
  now?: () => number;
}

interface Supervised {
  name: string;
  spawn: () => ChildProcess;
  child: ChildProcess;
  startedAt: number;
  crashes: number;
  timer?: NodeJS.Timeout;
}

export class Supervisor {
  private readonly processes = new Map<string, Supervised>();
  private stopping = false;
  private readonly initialDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly stableAfterMs: number;
  private readonly now: () => number;

  constructor(private readonly options: SupervisorOptions) {
    this.initialDelayMs = options.initialDelayMs ?? 1_000;
    this.maxDelayMs = options.maxDelayMs ?? 30_000;
    this.stableAfterMs = options.stableAfterMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  /** Runs `spawn()` now and again whenever its process exits, until `stop()`. Returns the first process. */
  supervise(name: string, spawn: () => ChildProcess): ChildProcess {
    const entry: Supervised = { name, spawn, child: spawn(), startedAt: this.now(), crashes: 0 };
    this.processes.set(name, entry);
    this.watch(entry);
    return entry.child;
  }

  /** The process running under `name` now (a restart replaces it). */
  current(name: string): ChildProcess | undefined {
    return this.processes.get(name)?.child;
  }

  /** Restarts no more; pending restarts are dropped. Returns the processes still running, to be terminated. */
  stop(): ChildProcess[] {
    this.stopping = true;
    for (const entry of this.processes.values()) clearTimeout(entry.timer);
    return [...this.processes.values()].map((entry) => entry.child).filter((child) => child.exitCode === null && child.signalCode === null);
  }

  private watch(entry: Supervised): void {
    entry.child.once('exit', (code, signal) => {
      if (this.stopping) return;
      const upMs = this.now() - entry.startedAt;
      entry.crashes = upMs >= this.stableAfterMs ? 1 : entry.crashes + 1;
      const reason = signal ? `killed by ${signal}` : `exited with code ${code}`;
      this.restartLater(entry, `${entry.name} ${reason} after ${(upMs / 1000).toFixed(1)} s`);
    });
  }

  private restartLater(entry: Supervised, what: string): void {
    const delayMs = Math.min(this.maxDelayMs, this.initialDelayMs * 2 ** (entry.crashes - 1));
    this.options.log(`${what}; restarting in ${(delayMs / 1000).toFixed(1)} s${entry.crashes > 1 ? ` (failure ${entry.crashes} in a row)` : ''}`);
    entry.timer = setTimeout(() => {
      if (this.stopping) return;
      try {
        entry.child = entry.spawn();
      } catch (error) {
        // Spawning itself failed (out of processes, say): tried again later, like a crash.
        entry.crashes += 1;
        this.restartLater(entry, `${entry.name} could not be started: ${(error as Error).message}`);
        return;
      }
      entry.startedAt = this.now();
      this.watch(entry);
    }, delayMs);
  }
}
