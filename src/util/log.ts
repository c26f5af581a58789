import { createRequire } from 'node:module';
import type * as Pino from 'pino';
import { UsageError } from '../model/errors.js';

/**
 * What switchyard logs through: pino's level methods, `level`, `isLevelEnabled`
 * and `flush`. A pino logger is one; createLogger's defers pino itself.
 */
export type Logger = Pick<
  Pino.Logger,
  'level' | 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'isLevelEnabled' | 'flush'
>;

const SEVERITY: Record<string, string> = {
  trace: 'DEBUG',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARNING',
  error: 'ERROR',
  fatal: 'CRITICAL',
};

/** pino's level numbers: a line is written when its level's is at least the logger's. */
const LEVELS: Record<string, number> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
  silent: Infinity,
};

type LevelName = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/** Paths whose values are never logged, whatever the caller passes (`env`: a config's environment holds the token). */
const REDACT = [
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'secret',
  '*.secret',
  'password',
  '*.password',
  'cookie',
  'headers.cookie',
  '*.headers.authorization',
  '*.headers.cookie',
  'env',
  '*.env',
];

export interface LoggerOptions {
  level?: string;
  /** Defaults to standard error, so `--json` output on stdout stays clean. */
  destination?: Pino.DestinationStream;
  /**
   * Write each line before the call returns (standard error only), as a
   * one-shot command wants: nothing buffered to flush, and no fsync of
   * standard error at exit (pino's asynchronous stream makes one). The
   * default, asynchronous, suits a long-running process.
   */
  sync?: boolean;
}

const requireCjs = createRequire(import.meta.url);

function levelNumber(level: string): number {
  const n = LEVELS[level];
  if (n === undefined)
    throw new UsageError(
      `[switchyard] [log] expected a log level (${Object.keys(LEVELS).join(', ')}), got ${JSON.stringify(level)}`,
      { level },
    );
  return n;
}

/**
 * JSON logs with Cloud Logging's `severity` field and `message` key, to
 * standard error by default. pino (and its redaction, compiled per logger) is
 * loaded on the first line the level lets through: a command that logs
 * nothing (a scan at the default level `warn`) never pays for it. A line has
 * one `message`: a logged object's own `message` field becomes `detail` when
 * the call gives a message, and the message when it gives none.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  return new DeferredLogger(options.level ?? 'info', () => {
    const { pino } = requireCjs('pino') as typeof Pino;
    return pino(
      {
        level: 'trace',
        messageKey: 'message',
        base: { component: 'switchyard' },
        redact: { paths: REDACT, censor: '[redacted]' },
        hooks: { logMethod: oneMessage },
        timestamp: pino.stdTimeFunctions.isoTime,
        formatters: {
          level: (label) => ({ severity: SEVERITY[label] ?? 'DEFAULT', level: label }),
        },
      },
      options.destination ?? pino.destination({ fd: 2, sync: options.sync ?? false }),
    );
  });
}

/**
 * Keeps a line to one `message` key: pino writes the call's message after the
 * object's fields, so an object with a `message` of its own would make two
 * (which JSON parsers, Cloud Logging's included, resolve by dropping one).
 */
function oneMessage(this: Pino.Logger, args: Parameters<Pino.LogFn>, method: Pino.LogFn): void {
  const [first, ...rest] = args as unknown[];
  if (first === null || typeof first !== 'object' || first instanceof Error || !('message' in first)) {
    method.apply(this, args);
    return;
  }
  const { message, ...fields } = first as Record<string, unknown>;
  const next =
    typeof rest[0] === 'string' ? [{ ...fields, detail: message }, ...rest] : [fields, String(message)];
  method.apply(this, next as Parameters<Pino.LogFn>);
}

/** A logger that drops everything (tests, library use). */
export function silentLogger(): Logger {
  return new DeferredLogger('silent', () => {
    throw new Error('a silent logger never writes');
  });
}

/**
 * The level check in front of a pino logger made on first use. The pino
 * logger lets every level through; this one decides, so its level can change
 * before pino exists.
 */
class DeferredLogger implements Logger {
  private threshold: number;
  private target: Pino.Logger | undefined;

  readonly fatal = this.method('fatal');
  readonly error = this.method('error');
  readonly warn = this.method('warn');
  readonly info = this.method('info');
  readonly debug = this.method('debug');
  readonly trace = this.method('trace');

  constructor(
    private current: string,
    private readonly make: () => Pino.Logger,
  ) {
    this.threshold = levelNumber(current);
  }

  get level(): string {
    return this.current;
  }

  set level(level: string) {
    this.threshold = levelNumber(level);
    this.current = level;
  }

  isLevelEnabled(level: string): boolean {
    return levelNumber(level) >= this.threshold;
  }

  flush(cb?: (err?: Error) => void): void {
    if (this.target) this.target.flush(cb);
    else cb?.();
  }

  private method(level: LevelName): Pino.LogFn {
    const n = levelNumber(level);
    return ((...args: unknown[]) => {
      if (n < this.threshold) return;
      this.target ??= this.make();
      (this.target[level] as (...a: unknown[]) => void)(...args);
    }) as Pino.LogFn;
  }
}
