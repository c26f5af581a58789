import { TransientError, errorMessage } from '../model/errors.js';
import { parseNotifyUrl, redactNotifyUrl } from '../referential/notify-url.js';
import { openPublisher, type Publisher, type PublisherOptions } from './publishers.js';

export interface NotifierOptions extends PublisherOptions {
  /** Tries of one message before it counts as failed (default 3). */
  attempts?: number;
  /** Wait before the second try, doubled for each next one (default 250 ms). */
  backoffMs?: number;
}

/** A message that could not be sent after every try: `E_NOTIFY_FAILED`, with the URL (secrets hidden) and the last failure. */
export class NotifyFailedError extends TransientError {
  constructor(url: string, attempts: number, cause: unknown) {
    super(
      'E_NOTIFY_FAILED',
      `[switchyard] [notify] could not send to ${redactNotifyUrl(url)} after ${attempts} attempt(s): ${errorMessage(cause)}`,
      { url: redactNotifyUrl(url), attempts },
      { cause },
    );
  }
}

/**
 * Sends messages to the rows' `notify` URLs, one client per URL kept open
 * until `close`. A send is tried `attempts` times with doubling waits, then
 * fails with NotifyFailedError; it is never queued for later (the manifest
 * in the destination stays the durable record of what was delivered).
 */
export class Notifier {
  private readonly publishers = new Map<string, Promise<Publisher>>();

  constructor(private readonly options: NotifierOptions = {}) {}

  async send(url: string, message: unknown): Promise<void> {
    const body = JSON.stringify(message);
    const attempts = Math.max(1, this.options.attempts ?? 3);
    let last: unknown;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        const publisher = await this.publisherFor(url);
        await publisher.send(body);
        return;
      } catch (error) {
        last = error;
        this.forget(url);
        if (attempt < attempts) await sleep((this.options.backoffMs ?? 250) * 2 ** (attempt - 1));
      }
    }
    throw new NotifyFailedError(url, attempts, last);
  }

  async close(): Promise<void> {
    const all = [...this.publishers.values()];
    this.publishers.clear();
    await Promise.allSettled(all.map(async (p) => (await p).close()));
  }

  private publisherFor(url: string): Promise<Publisher> {
    let publisher = this.publishers.get(url);
    if (!publisher) {
      publisher = Promise.resolve().then(() => openPublisher(parseNotifyUrl(url), this.options));
      this.publishers.set(url, publisher);
    }
    return publisher;
  }

  /** Drops a client after a failure (closed quietly), so the next try opens a fresh one. */
  private forget(url: string): void {
    const publisher = this.publishers.get(url);
    this.publishers.delete(url);
    void publisher?.then((p) => p.close()).catch(() => undefined);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
