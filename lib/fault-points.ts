/**
 * Named points where a fault test kills the process on purpose, to prove that a crash exactly
 * there loses nothing and repeats nothing (e.g. a claim sent to the payer and not yet recorded).
 *
 * `CAREGRAPH_FAULT_POINT=<name>` makes the process end itself with SIGKILL the first time it
 * reaches `<name>`: no handler runs, no transaction commits, no socket is closed politely — as a
 * `kill -9` or a lost machine would. Ignored when NODE_ENV=production, so a stray variable can
 * never take a production worker down.
 */
export function faultPoint(name: string, env: NodeJS.ProcessEnv = process.env): void {
  if (env.NODE_ENV === 'production' || env.CAREGRAPH_FAULT_POINT !== name) return;
  process.kill(process.pid, 'SIGKILL');
}
