import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/util/log.js';
import { routeSdkWarnings } from '../../src/util/sdk-warnings.js';
import { ensureBuilt } from '../helpers/build.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The text @aws-sdk/core emits (3.1175.0) when it runs on Node below 22. */
const AWS_TEXT = `NodeVersionSupportWarning: The AWS SDK for JavaScript (v3)
versions published after the first week of January 2027
will require node >=22. You are running node v20.0.0.

To continue receiving updates to AWS services, bug fixes,
and security updates please upgrade to node >=22.

More information can be found at: https://a.co/c895JFp`;

function capture(): { lines: string[]; logger: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  const logger = createLogger({ level: 'info', destination: { write: (s: string) => void lines.push(s) } });
  return { lines, logger };
}

/** Warnings Node emitted as 'warning' events during `fn` (emitWarning emits on the next tick). */
async function emitted(fn: () => void): Promise<string[]> {
  const seen: string[] = [];
  const listener = (w: Error) => seen.push(w.message);
  process.on('warning', listener);
  try {
    fn();
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('warning', listener);
  }
  return seen;
}

describe('routeSdkWarnings', () => {
  let undo: (() => void) | undefined;
  afterEach(() => undo?.());

  it("logs the AWS SDK's Node-version warning as one JSON line at WARNING, and Node does not print it", async () => {
    const { lines, logger } = capture();
    const original = process.emitWarning;
    undo = routeSdkWarnings(logger);
    expect(await emitted(() => process.emitWarning(AWS_TEXT))).toEqual([]);
    expect(lines).toHaveLength(1);
    expect(lines[0]?.trimEnd().includes('\n')).toBe(false);
    const line = JSON.parse(lines[0] as string) as Record<string, unknown>;
    expect(line).toMatchObject({
      severity: 'WARNING',
      warning: { code: 'NodeVersionSupportWarning', detail: AWS_TEXT },
    });
    expect(line.message).toMatch(/^NodeVersionSupportWarning: The AWS SDK for JavaScript \(v3\) versions/);
    undo();
    undo = undefined;
    expect(process.emitWarning).toBe(original);
  });

  it('lets every other warning through to Node, unchanged', async () => {
    const { lines, logger } = capture();
    undo = routeSdkWarnings(logger);
    const other = await emitted(() =>
      process.emitWarning('something else', { type: 'SwitchyardTestWarning', code: 'X1' }),
    );
    expect(other).toEqual(['something else']);
    expect(lines).toEqual([]);
  });

  it('sends them to the last logger given; the first one’s undo then leaves the hook in place', async () => {
    const first = capture();
    const second = capture();
    const undoFirst = routeSdkWarnings(first.logger);
    undo = routeSdkWarnings(second.logger);
    undoFirst();
    expect(await emitted(() => process.emitWarning(AWS_TEXT))).toEqual([]);
    expect(first.lines).toEqual([]);
    expect(second.lines).toHaveLength(1);
  });
});

describe('a process that opens an S3 client through the real SDK', () => {
  beforeAll(() => ensureBuilt());

  it('writes only JSON lines to standard error', async () => {
    const script = `
      const { createLogger } = await import(${JSON.stringify(pathToFileURL(path.join(ROOT, 'dist/util/log.js')).href)});
      const { routeSdkWarnings } = await import(${JSON.stringify(pathToFileURL(path.join(ROOT, 'dist/util/sdk-warnings.js')).href)});
      routeSdkWarnings(createLogger({ level: 'info' }));
      const { S3Client } = await import('@aws-sdk/client-s3');
      new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
      await new Promise((resolve) => setTimeout(resolve, 50));
    `;
    const { stderr } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
      cwd: ROOT,
    });
    const lines = stderr.split('\n').filter((l) => l !== '');
    for (const line of lines) expect(() => JSON.parse(line) as unknown, line).not.toThrow();
    const major = Number(process.versions.node.split('.')[0]);
    // @aws-sdk 3.1175.0 warns below Node 22 (CI's Node 20); under Node 24 it says nothing.
    expect(lines.filter((l) => l.includes('NodeVersionSupportWarning'))).toHaveLength(major < 22 ? 1 : 0);
  });
});
