import { pino, type Logger, type DestinationStream, type LogFn } from 'pino';

export type { Logger };

const SEVERITY: Record<string, string> = {
  trace: 'DEBUG',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARNING',
  error: 'ERROR',
  fatal: 'CRITICAL',
};

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
  destination?: DestinationStream;
}

/**
 * JSON logs with Cloud Logging's `severity` field and `message` key, to
 * standard error by default. A line has one `message`: a logged object's own
 * `message` field becomes `detail` when the call gives a message, and the
 * message when it gives none.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      messageKey: 'message',
      base: { component: 'switchyard' },
      redact: { paths: REDACT, censor: '[redacted]' },
      hooks: { logMethod: oneMessage },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ severity: SEVERITY[label] ?? 'DEFAULT', level: label }),
      },
    },
    options.destination ?? pino.destination({ fd: 2, sync: false }),
  );
}

/**
 * Keeps a line to one `message` key: pino writes the call's message after the
 * object's fields, so an object with a `message` of its own would make two
 * (which JSON parsers, Cloud Logging's included, resolve by dropping one).
 */
function oneMessage(this: Logger, args: Parameters<LogFn>, method: LogFn): void {
  const [first, ...rest] = args as unknown[];
  if (first === null || typeof first !== 'object' || first instanceof Error || !('message' in first)) {
    method.apply(this, args);
    return;
  }
  const { message, ...fields } = first as Record<string, unknown>;
  const next =
    typeof rest[0] === 'string' ? [{ ...fields, detail: message }, ...rest] : [fields, String(message)];
  method.apply(this, next as Parameters<LogFn>);
}

/** A logger that drops everything (tests, library use). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
