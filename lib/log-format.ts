/**
 * Readable log lines for a terminal. Services always log one JSON object per line (pino);
 * `npm start` passes its children's output through `prettyPrint` when its own output is a
 * terminal, so a developer reads `12:00:01.250 INFO  tenancy  subgraph ready  url=…` while
 * files, CI and production keep the JSON. Lines that are not JSON pass through untouched.
 */
import readline from 'node:readline';
import type { Readable, Writable } from 'node:stream';

const LEVELS: Record<number, { label: string; color: number }> = {
  10: { label: 'TRACE', color: 90 },
  20: { label: 'DEBUG', color: 36 },
  30: { label: 'INFO ', color: 32 },
  40: { label: 'WARN ', color: 33 },
  50: { label: 'ERROR', color: 31 },
  60: { label: 'FATAL', color: 35 },
};
/** Fields every line has, or that the line's head already shows. */
const SHOWN = new Set(['level', 'time', 'service', 'msg', 'pid', 'hostname']);

export interface FormatOptions {
  /** ANSI colours for the level and the service. */
  color?: boolean;
}

/** One pino JSON line as text; anything else unchanged. */
export function formatLogLine(line: string, options: FormatOptions = {}): string {
  if (!line.startsWith('{')) return line;
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  if (typeof entry !== 'object' || entry === null || typeof entry.level !== 'number') return line;
  const paint = (code: number, text: string) => (options.color ? `\u001b[${code}m${text}\u001b[0m` : text);
  const level = LEVELS[entry.level] ?? { label: String(entry.level).padEnd(5), color: 0 };
  const time = typeof entry.time === 'number' ? new Date(entry.time).toISOString().slice(11, 23) : '';
  const service = typeof entry.service === 'string' ? entry.service : '';
  const fields = Object.entries(entry)
    .filter(([key, value]) => !SHOWN.has(key) && value !== undefined)
    .map(([key, value]) => `${key}=${typeof value === 'string' && !/[\s"=]/.test(value) ? value : JSON.stringify(value)}`);
  const stack = isRecord(entry.err) && typeof entry.err.stack === 'string' ? `\n    ${entry.err.stack.split('\n').join('\n    ')}` : '';
  const head = [time, paint(level.color, level.label), paint(1, service.padEnd(13)), typeof entry.msg === 'string' ? entry.msg : JSON.stringify(entry.msg ?? '')].filter(Boolean).join(' ');
  return `${head}${fields.length ? `  ${paint(90, fields.join(' '))}` : ''}${stack}`;
}

/** Copies `input` to `output` line by line, each formatted (`formatLogLine`). */
export function prettyPrint(input: Readable, output: Writable, options: FormatOptions = {}): void {
  const lines = readline.createInterface({ input, crlfDelay: Infinity });
  lines.on('line', (line) => output.write(`${formatLogLine(line, options)}\n`));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
