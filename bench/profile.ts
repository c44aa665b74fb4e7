/**
 * `npx tsx bench/profile.ts <file.cpuprofile | folder> [top]`: where a process spent its CPU,
 * from the V8 profiles written by `npm run bench -- --profile` (one folder per target). Given
 * a folder, it reads the busiest profile: the main thread's (the TypeScript loader's thread
 * writes one beside it, busy only while modules load). Prints self time by package (or project folder) and by
 * function, as shares of the time the process was not idle.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../lib/federation/compose.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Self time in microseconds per profile node, from the sample stream. */
export function selfTimes(profile: CpuProfile): Map<number, number> {
  const times = new Map<number, number>();
  profile.samples.forEach((id, i) => times.set(id, (times.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  return times;
}

/** Microseconds the thread was not idle. */
export function busyTime(profile: CpuProfile): number {
  const idle = new Set(profile.nodes.filter((node) => node.callFrame.functionName === '(idle)').map((node) => node.id));
  return profile.samples.reduce((sum, id, i) => sum + (idle.has(id) ? 0 : (profile.timeDeltas[i] ?? 0)), 0);
}

/** `node_modules/@scope/name` → `@scope/name`; project files → their top folder; V8 entries as named. */
export function ownerOf(frame: ProfileNode['callFrame']): string {
  if (!frame.url) return frame.functionName.startsWith('(') ? frame.functionName : '(native)';
  // WebAssembly in a Node process is undici's HTTP parser (llhttp), i.e. fetch.
  if (frame.url.startsWith('wasm:')) return 'wasm (undici llhttp)';
  const file = frame.url.replace(/^file:\/\//, '');
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
  if (match) return match[1]!;
  // Node's bundled undici (fetch) and web streams are worth telling apart from the rest of core.
  if (file.startsWith('node:internal/deps/undici') || file.startsWith('node:internal/webstreams')) return 'node core: fetch (undici, web streams)';
  if (file.startsWith('node:internal/crypto')) return 'node core: crypto';
  if (file.startsWith('node:internal/async_hooks')) return 'node core: async_hooks';
  if (file.startsWith('node:internal/modules')) return 'node core: module loading';
  if (file.startsWith('node:')) return 'node core';
  const relative = path.relative(ROOT, file);
  return relative.startsWith('..') ? file : `caregraph ${relative.split(path.sep).slice(0, 2).join('/')}`;
}

export function summarise(profile: CpuProfile, top: number): string {
  const self = selfTimes(profile);
  const byOwner = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let busy = 0;
  for (const node of profile.nodes) {
    const time = self.get(node.id) ?? 0;
    if (time === 0 || node.callFrame.functionName === '(idle)') continue;
    busy += time;
    const owner = ownerOf(node.callFrame);
    byOwner.set(owner, (byOwner.get(owner) ?? 0) + time);
    const where = node.callFrame.url ? `${path.basename(node.callFrame.url)}:${node.callFrame.lineNumber + 1}` : '';
    const key = `${node.callFrame.functionName || '(anonymous)'} ${where} [${owner}]`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + time);
  }
  const list = (entries: Map<string, number>) =>
    [...entries]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, time]) => `  ${((100 * time) / busy).toFixed(1).padStart(5)}%  ${(time / 1000).toFixed(0).padStart(7)} ms  ${name}`)
      .join('\n');
  return [
    `busy (not idle): ${(busy / 1e6).toFixed(1)} s`,
    'self time by package:',
    list(byOwner),
    'self time by function:',
    list(byFunction),
  ].join('\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(ROOT, 'bench', 'profile.ts')) {
  const [file, top = '20'] = process.argv.slice(2);
  if (!file) {
    console.error('Usage: npx tsx bench/profile.ts <file.cpuprofile> [top]');
    process.exit(2);
  }
  const read = (name: string) => JSON.parse(fs.readFileSync(name, 'utf8')) as CpuProfile;
  let profile: CpuProfile;
  if (fs.statSync(file).isDirectory()) {
    const profiles = fs.readdirSync(file).filter((name) => name.endsWith('.cpuprofile')).map((name) => read(path.join(file, name)));
    const busiest = profiles.sort((a, b) => busyTime(b) - busyTime(a))[0];
    if (!busiest) throw new Error(`no .cpuprofile in ${file}`);
    profile = busiest;
  } else {
    profile = read(file);
  }
  console.log(summarise(profile, Number(top)));
}
