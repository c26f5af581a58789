// `scan --json` writes its delivery lines as they come (StreamedJson): the
// output must be the very text printJson would make of the whole object,
// whatever the number of lines, and stay one JSON object when the run fails
// after some were written.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { StreamedJson } from '../../src/cli/json-stream.js';
import type { Io } from '../../src/cli/common.js';

/** An Io whose standard output is kept, with the number of writes it took. */
function capture(): { io: Io; text: () => string; writes: () => number } {
  const chunks: string[] = [];
  const stdout = new PassThrough();
  stdout.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
  const io: Io = { stdout, stderr: new PassThrough(), env: {}, cwd: '/' };
  return { io, text: () => chunks.join(''), writes: () => chunks.length };
}

const line = (i: number) => ({
  source: `land/in/f-${i}.csv`,
  route: 'row-1',
  destination: `lake/raw/f-${i}.csv`,
  state: i % 7 ? 'done' : 'failed',
  action: 'move',
  ...(i % 7 ? {} : { error: { code: 'E_X', message: `line "${i}"\nsecond line` } }),
});

async function streamed(count: number, rest: Record<string, unknown>) {
  const out = capture();
  const json = new StreamedJson(out.io, 'deliveries');
  const items = Array.from({ length: count }, (_, i) => line(i));
  for (const item of items) json.item(item);
  expect(json.begun).toBe(count > 0);
  json.end(rest);
  await new Promise((resolve) => setImmediate(resolve));
  return { ...out, items };
}

describe('StreamedJson', () => {
  it.each([0, 1, 3, 5_000])('%i lines: the text printJson makes of the whole object', async (count) => {
    const rest = { dryRun: false, routed: count, outcomes: { routed: count }, unroutedFiles: ['a'] };
    const { text, items, writes } = await streamed(count, rest);
    expect(text()).toBe(`${JSON.stringify({ deliveries: items, ...rest }, null, 2)}\n`);
    // written in chunks as the lines come, not once per line nor once at the end
    if (count === 5_000) expect(writes()).toBeGreaterThan(5);
    if (count === 5_000) expect(writes()).toBeLessThan(100);
  });

  it('a run that fails after some lines ends the same object with the error', async () => {
    const error = { code: 'E_LEDGER', message: 'disk full' };
    const { text, items } = await streamed(2, { error });
    const parsed = JSON.parse(text()) as unknown;
    expect(parsed).toEqual({ deliveries: items, error });
  });

  it('ends once: a second end writes nothing', async () => {
    const out = capture();
    const json = new StreamedJson(out.io, 'deliveries');
    json.end({ a: 1 });
    json.end({ b: 2 });
    await new Promise((resolve) => setImmediate(resolve));
    expect(JSON.parse(out.text())).toEqual({ deliveries: [], a: 1 });
  });
});
