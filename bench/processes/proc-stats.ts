/**
 * Resource figures of another process, read from /proc (Linux) so that measuring never runs
 * inside the process being measured: resident memory now and at its peak (VmRSS, VmHWM) and
 * CPU time spent (utime + stime). Elsewhere every figure is null.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

const SAMPLE_INTERVAL_MS = 200;

let clockTicks: number | undefined;
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** Resident set size and its high-water mark, in bytes. */
export function memoryOf(pid: number): { rss: number; peak: number } | null {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
    return { rss: kb('VmRSS'), peak: kb('VmHWM') };
  } catch {
    return null;
  }
}

/** CPU seconds (user + system, all threads) the process has used so far. */
export function cpuSecondsOf(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start at field 3.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond();
  } catch {
    return null;
  }
}

export interface ProcessWindow {
  /** Highest resident set size sampled during the window, in bytes. */
  peakRss: number | null;
  /** CPU seconds used during the window. */
  cpuSeconds: number | null;
}

/** Samples a process from now until `stop()`: peak RSS (every 200 ms) and CPU time used. */
export function watchProcess(pid: number): { stop(): ProcessWindow } {
  const cpuStart = cpuSecondsOf(pid);
  let peakRss: number | null = memoryOf(pid)?.rss ?? null;
  const sample = () => {
    const rss = memoryOf(pid)?.rss;
    if (rss !== undefined && (peakRss === null || rss > peakRss)) peakRss = rss;
  };
  const timer = setInterval(sample, SAMPLE_INTERVAL_MS);
  return {
    stop() {
      clearInterval(timer);
      sample();
      const cpuEnd = cpuSecondsOf(pid);
      return { peakRss, cpuSeconds: cpuStart === null || cpuEnd === null ? null : cpuEnd - cpuStart };
    },
  };
}

/** CPU seconds the whole machine has been busy so far, all cores together (/proc/stat). */
export function machineBusySeconds(): number | null {
  try {
    const fields = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal (guest time is inside user already)
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
    return (user + nice + system + irq + softirq + steal) / ticksPerSecond();
  } catch {
    return null;
  }
}

/** CPU seconds used so far by `root` and every live process below it. */
export function treeCpuSeconds(root: number): number | null {
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc').filter((entry) => /^\d+$/.test(entry));
  } catch {
    return null;
  }
  const parents = new Map<number, number>();
  const cpu = new Map<number, number>();
  for (const entry of entries) {
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the command name start at field 3 (state); the parent is field 4.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parents.set(Number(entry), Number(fields[1]));
      cpu.set(Number(entry), (Number(fields[11]) + Number(fields[12])) / ticksPerSecond());
    } catch {
      // exited meanwhile
    }
  }
  const inTree = (pid: number): boolean => {
    for (let at: number | undefined = pid, hops = 0; at !== undefined && at > 0 && hops < 64; at = parents.get(at), hops++) {
      if (at === root) return true;
    }
    return false;
  };
  let total = 0;
  for (const [pid, seconds] of cpu) if (inTree(pid)) total += seconds;
  return total;
}

/**
 * Samples from now until `stop()`: how many cores, on average, the machine spent on work
 * outside the process tree of `root` (by default this process: the benchmark, its children and
 * the PostgreSQL it started) — other work sharing the machine while a run is measured.
 */
export function watchOtherWork(root = process.pid): { stop(): number | null } {
  const started = performance.now();
  const busy = machineBusySeconds();
  const ours = treeCpuSeconds(root);
  return {
    stop() {
      const seconds = (performance.now() - started) / 1000;
      const busyNow = machineBusySeconds();
      const oursNow = treeCpuSeconds(root);
      if (busy === null || ours === null || busyNow === null || oursNow === null || seconds <= 0) return null;
      return Math.max(0, busyNow - busy - (oursNow - ours)) / seconds;
    },
  };
}

/**
 * Resolves once the processes together use less than 5% of one core over 250 ms (or after
 * `timeoutMs`): the work a previous load left queued is done.
 */
export async function waitUntilIdle(pids: number[], timeoutMs = 15_000): Promise<void> {
  const INTERVAL_MS = 250;
  const total = () => pids.reduce((sum, pid) => sum + (cpuSecondsOf(pid) ?? 0), 0);
  const deadline = Date.now() + timeoutMs;
  let before = total();
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, INTERVAL_MS));
    const now = total();
    if (now - before < 0.05 * (INTERVAL_MS / 1000)) return;
    before = now;
  }
}

/** A process of a process group: its id and its command line. */
export interface GroupMember {
  pid: number;
  argv: string[];
}

/** Every live process whose process group is `pgid` (Linux; empty elsewhere). */
export function processGroupMembers(pgid: number): GroupMember[] {
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc').filter((entry) => /^\d+$/.test(entry));
  } catch {
    return [];
  }
  const members: GroupMember[] = [];
  for (const entry of entries) {
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the command name start at field 3 (state); the group is field 5.
      const [state, , group] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // A zombie has exited and only waits for its parent (or init) to reap it: no longer a member.
      if (Number(group) !== pgid || state === 'Z') continue;
      const argv = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean);
      members.push({ pid: Number(entry), argv });
    } catch {
      // exited meanwhile
    }
  }
  return members;
}
