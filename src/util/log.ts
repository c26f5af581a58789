import { pino, type Logger, type DestinationStream } from 'pino';

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
 * standard error by default.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      messageKey: 'message',
      base: { component: 'switchyard' },
      redact: { paths: REDACT, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ severity: SEVERITY[label] ?? 'DEFAULT', level: label }),
      },
    },
    options.destination ?? pino.destination({ fd: 2, sync: false }),
  );
}

/** A logger that drops everything (tests, library use). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
