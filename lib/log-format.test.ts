import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { formatLogLine, prettyPrint } from './log-format.js';

const time = Date.UTC(2026, 0, 2, 12, 0, 1, 250);

describe('formatLogLine', () => {
  it('shows time, level, service and message, then the other fields', () => {
    const line = JSON.stringify({ level: 30, time, pid: 7, hostname: 'h', service: 'tenancy', url: 'http://127.0.0.1:4001/graphql', msg: 'subgraph ready' });
    expect(formatLogLine(line)).toBe('12:00:01.250 INFO  tenancy       subgraph ready  url=http://127.0.0.1:4001/graphql');
  });

  it('quotes values with spaces, writes objects as JSON and an error stack below the line', () => {
    const line = JSON.stringify({ level: 50, time, service: 'gateway', requestId: 'r1', note: 'two words', err: { message: 'boom', stack: 'Error: boom\n    at x' }, msg: 'request failed' });
    expect(formatLogLine(line)).toBe(
      '12:00:01.250 ERROR gateway       request failed  requestId=r1 note="two words" err={"message":"boom","stack":"Error: boom\\n    at x"}\n    Error: boom\n        at x',
    );
  });

  it('colours the level and the service only when asked', () => {
    const line = JSON.stringify({ level: 40, time, service: 'erp', msg: 'slow' });
    expect(formatLogLine(line, { color: true })).toContain('\u001b[33mWARN \u001b[0m');
    expect(formatLogLine(line)).not.toContain('\u001b[');
  });

  it('passes anything that is not a pino line through unchanged', () => {
    for (const line of ['[caregraph] ready', '{not json', '{"a":1}', '']) expect(formatLogLine(line)).toBe(line);
  });
});

describe('prettyPrint', () => {
  it('formats a stream line by line, including a line split across chunks', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    let text = '';
    output.on('data', (chunk: Buffer) => (text += chunk.toString()));
    prettyPrint(input, output);
    const line = JSON.stringify({ level: 30, time, service: 'erp', msg: 'up' });
    input.write(`plain\n${line.slice(0, 10)}`);
    input.end(`${line.slice(10)}\n`);
    await new Promise((resolve) => setImmediate(resolve));
    expect(text).toBe('plain\n12:00:01.250 INFO  erp           up\n');
  });
});
