import { errorCode, errorMessage } from '../model/errors.js';
import type { Logger } from '../util/log.js';
import type { Queue } from '../queue/types.js';

/** Consecutive failed queue operations after which the connection is dropped and opened again. */
const REOPEN_AFTER = 2;

/**
 * The worker's queue connection, opened on demand and opened again after
 * repeated failures (a broker restarted, a connection the client gave up
 * on). Message ids stay valid across connections (ack subjects, receipt
 * handles, ack ids, row ids), so work pulled on one connection is settled on
 * the next.
 */
export class QueueHandle {
  private current: Queue | undefined;
  private opening: Promise<Queue> | undefined;
  private failures = 0;
  /** Times the connection was opened again after failures. */
  reconnects = 0;

  constructor(
    private readonly open: () => Promise<Queue>,
    private readonly logger: Logger,
  ) {}

  /** The open queue; opens it when needed (rejects while the broker is unreachable). */
  get(): Promise<Queue> {
    if (this.current) return Promise.resolve(this.current);
    this.opening ??= this.open().then(
      (queue) => {
        this.opening = undefined;
        this.current = queue;
        if (this.failures > 0) {
          this.reconnects++;
          this.logger.info({ queue: queue.name }, 'queue connection open again');
        }
        return queue;
      },
      (error: unknown) => {
        this.opening = undefined;
        this.failed(error, 'open');
        throw error;
      },
    );
    return this.opening;
  }

  /** The queue when it is open, without opening it. */
  peek(): Queue | undefined {
    return this.current;
  }

  succeeded(): void {
    this.failures = 0;
  }

  /** Records a failed operation; after a few in a row the connection is closed, to be opened again by get(). */
  failed(error: unknown, operation: string): void {
    this.failures++;
    this.logger.warn(
      { operation, code: errorCode(error), error: errorMessage(error), failures: this.failures },
      'queue operation failed; retrying with backoff',
    );
    if (this.failures < REOPEN_AFTER || !this.current) return;
    const stale = this.current;
    this.current = undefined;
    void stale.close().catch(() => undefined);
  }

  /** Consecutive failures so far (0 when the last operation succeeded). */
  get failureCount(): number {
    return this.failures;
  }

  async close(): Promise<void> {
    const queue = this.current ?? (await this.opening?.catch(() => undefined));
    this.current = undefined;
    await queue?.close();
  }
}
