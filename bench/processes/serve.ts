/**
 * The child side of the benchmark's processes (see child.ts): wait for `start`, report
 * `done` with what the parent needs (a URL, a port), answer jobs, close cleanly on SIGTERM.
 */

/** Messages a child sends to the parent. */
export type ChildMessage =
  | { type: 'done'; payload: unknown }
  | { type: 'event'; payload: unknown }
  | { type: 'failed'; message: string };

const CLOSE_TIMEOUT_MS = 5_000;

type ParentMessage = { type: 'start' | 'job'; payload: unknown };

export interface Served<Ready> {
  ready: Ready;
  close(): Promise<void>;
  /** Handles a job; `emit` reports progress before the answer. */
  job?(payload: unknown, emit: (event: unknown) => void): Promise<unknown>;
}

/** Runs this process as a benchmark child: `start` is called once with the parent's payload. */
export function serveChild<Ready>(start: (payload: unknown) => Promise<Served<Ready>>): void {
  const send = (message: ChildMessage) => process.send?.(message);
  let served: Served<Ready> | undefined;
  let stopping = false;

  process.on('message', (message: ParentMessage) => {
    const run = async () => {
      if (message.type === 'start') {
        served = await start(message.payload);
        return served.ready;
      }
      if (!served?.job) throw new Error('this process takes no jobs');
      return served.job(message.payload, (event) => send({ type: 'event', payload: event }));
    };
    run().then(
      (payload) => send({ type: 'done', payload }),
      (error: unknown) => send({ type: 'failed', message: error instanceof Error ? error.message : String(error) }),
    );
  });

  const stop = async () => {
    if (stopping) return;
    stopping = true;
    // Bounded: a server that cannot drain must not cost the profile or hold up the run.
    const timeout = new Promise((resolve) => setTimeout(resolve, CLOSE_TIMEOUT_MS).unref());
    await Promise.race([served?.close().catch(() => undefined), timeout]);
    // A normal exit (not a signal death) is what makes --cpu-prof write the profile.
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  // Never outlive the harness.
  process.on('disconnect', () => void stop());
}
