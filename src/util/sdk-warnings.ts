import type { Logger } from './log.js';

/**
 * The AWS SDK for JavaScript v3 tells, once per process, that its releases
 * after a date will require a newer Node.js: a `process.emitWarning` of a
 * ten-line text that Node prints to standard error as it is, in the middle of
 * the JSON log lines. Its type is the generic `Warning` and it has no code:
 * the text's first word names it.
 */
const SDK_WARNINGS: ReadonlyArray<{ code: string; test: RegExp }> = [
  { code: 'NodeVersionSupportWarning', test: /^NodeVersionSupportWarning: The AWS SDK for JavaScript/ },
];

type EmitWarning = typeof process.emitWarning;

let original: EmitWarning | undefined;
let target: Logger | undefined;

/**
 * Routes the cloud SDKs' known warnings through `logger` (one JSON line at
 * warn level, with the whole text in `detail`) instead of Node's multi-line
 * print to standard error; every other warning is emitted as before. The last
 * logger given receives them; the function returned puts
 * `process.emitWarning` back when that logger is still the one in use.
 */
export function routeSdkWarnings(logger: Logger): () => void {
  target = logger;
  if (!original) {
    const emit = process.emitWarning;
    original = emit;
    process.emitWarning = function (this: unknown, warning: string | Error, ...rest: unknown[]): void {
      const text = typeof warning === 'string' ? warning : warning.message;
      const known = SDK_WARNINGS.find((w) => w.test.test(text));
      if (known && target) {
        target.warn(
          { warning: { code: known.code, detail: text }, node: process.version },
          text.replace(/\s+/g, ' ').trim(),
        );
        return;
      }
      (emit as (...args: unknown[]) => void).call(this, warning, ...rest);
    } as EmitWarning;
  }
  return () => {
    if (target !== logger) return;
    target = undefined;
    if (original) process.emitWarning = original;
    original = undefined;
  };
}
