import { errorCode, errorMessage } from '../model/errors.js';
import type { RouteResult } from '../router/result.js';
import type { Context } from '../runtime/context.js';
import type { DeliveredFile } from '../signals/manifest.js';
import type { SignalReport } from '../signals/signal.js';
import { newSignalId } from '../signals/signal-id.js';
import { signalFromContext, signalledDeliveries } from './drain-signal.js';

/** A window is closed once it lists this many files, whatever its age (bounds a busy worker's memory). */
const MAX_WINDOW_FILES = 10_000;

/**
 * A worker's drains. A continuous worker never ends a drain, so what it
 * delivers for rows with `write_manifest` or `notify` is gathered in a
 * window, and each closed window is one drain: its own
 * `_MANIFEST-drain-<id>.json` in every destination folder it delivered to,
 * one message per `notify` row (signals/signal.ts). A window closes when the
 * queue runs dry (a pull finds nothing and nothing is in hand), once it has
 * been open `everyMs`, once it lists MAX_WINDOW_FILES files, and when the
 * worker stops. Closing never throws: a failed manifest or message is
 * logged and counted, and no delivery is undone; windows are signalled one
 * at a time, in order.
 */
export class SignalWindow {
  private files: DeliveredFile[] = [];
  private openedAt = 0;
  private signalling: Promise<void> = Promise.resolve();

  constructor(
    private readonly ctx: Context,
    private readonly everyMs: number,
    private readonly counted: (report: SignalReport) => void,
  ) {}

  /** Adds what a routing delivered for signalling rows (nothing else is kept). */
  add(result: RouteResult): void {
    const files = signalledDeliveries(this.ctx, result);
    if (files.length === 0) return;
    if (this.files.length === 0) this.openedAt = Date.now();
    for (const file of files) this.files.push(file);
    if (this.files.length >= MAX_WINDOW_FILES) void this.close();
  }

  /** Whether the open window is old enough to close. */
  due(now = Date.now()): boolean {
    return this.files.length > 0 && now - this.openedAt >= this.everyMs;
  }

  /** Closes the open window (if it lists anything) and resolves once every window closed so far is signalled. */
  close(): Promise<void> {
    if (this.files.length > 0) {
      const deliveries = this.files;
      const id = newSignalId('drain', new Date(this.openedAt));
      this.files = [];
      this.signalling = this.signalling.then(() => this.signal(id, deliveries));
    }
    return this.signalling;
  }

  private async signal(id: string, deliveries: DeliveredFile[]): Promise<void> {
    const { ctx } = this;
    try {
      this.counted(await signalFromContext(ctx, { id, kind: 'drain', deliveries }));
    } catch (error) {
      ctx.logger.warn(
        { id, files: deliveries.length, code: errorCode(error), error: errorMessage(error) },
        'worker could not write its manifests or send its notify messages; the deliveries stand',
      );
    }
  }
}
