import type { Logger } from '../../util/log.js';

const ERROR_RESCAN_DELAY_MS = 250;
/** Events since the last scan that make a burst, and the quiet that ends it. */
const BURST_EVENTS = 1000;
const BURST_QUIET_MS = 1000;
const BURST_MAX_WAIT_MS = 10_000;

/** Runs full rescans one at a time (a request during one runs it again after), after errors and after bursts. */
export class Rescans {
  running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private errorTimer: NodeJS.Timeout | undefined;
  private burstTimer: NodeJS.Timeout | undefined;
  private events = 0;
  private burstStart = 0;
  private lastEvent = 0;

  constructor(
    private readonly scan: () => Promise<void>,
    private readonly logger: Logger,
  ) {}

  run(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        this.events = 0;
        await this.scan().catch((error: unknown) =>
          this.logger.warn({ err: error }, 'watcher rescan failed; trying again later'),
        );
      } while (this.again && !this.stopped);
    })().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Counts an event; after a burst, rescans once things quiet down (or after BURST_MAX_WAIT_MS). */
  event(): void {
    const now = Date.now();
    this.lastEvent = now;
    if (++this.events === BURST_EVENTS) this.burstStart = now;
    if (this.events < BURST_EVENTS || this.burstTimer || this.stopped) return;
    const check = (): void => {
      const at = Date.now();
      if (at - this.lastEvent >= BURST_QUIET_MS || at - this.burstStart >= BURST_MAX_WAIT_MS) {
        this.burstTimer = undefined;
        void this.run();
      } else {
        this.burstTimer = setTimeout(check, BURST_QUIET_MS - (at - this.lastEvent));
      }
    };
    this.burstTimer = setTimeout(check, BURST_QUIET_MS);
  }

  afterError(error: unknown): void {
    if (this.errorTimer || this.stopped) return;
    this.logger.warn({ err: error }, 'folder watcher error; rescanning the watched buckets');
    this.errorTimer = setTimeout(() => {
      this.errorTimer = undefined;
      void this.run();
    }, ERROR_RESCAN_DELAY_MS);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.errorTimer);
    clearTimeout(this.burstTimer);
  }
}
