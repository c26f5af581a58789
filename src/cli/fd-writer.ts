import { EventEmitter } from 'node:events';
import { writeSync } from 'node:fs';
import { tty } from '../util/builtins.js';

/** How long a write waits for a full non-blocking pipe to take more, before it tries again. */
const FULL_PIPE_WAIT_MS = 1;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

/**
 * Standard output or error of a command, written with write(2) straight to
 * its descriptor, as Node writes `process.stdout` to a file, a pipe or a
 * terminal on Linux (synchronously), without the stream Node builds for it:
 * for a pipe, a `net.Socket` (node:net and the stream machinery loaded, some
 * 7 ms of every run whose output a script or a benchmark reads).
 *
 * A reader that leaves early (`switchyard scan --json | head`) closes the
 * pipe (EPIPE; ECONNRESET where the other end is a socket, as Node's own
 * child processes' stdio is, and it left unread bytes behind): what is
 * written after is dropped, and the command still finishes its work and
 * exits with its own code. A full pipe set non-blocking by whoever
 * holds its other end is waited on, a millisecond at a time; any other write
 * error is thrown to the writer. `isTTY` is asked of node:tty only when read.
 */
export class FdWriter extends EventEmitter implements NodeJS.WritableStream {
  writable = true;
  private readerLeft = false;
  private tty: boolean | undefined;

  constructor(readonly fd: number) {
    super();
  }

  get isTTY(): boolean {
    this.tty ??= tty().isatty(this.fd);
    return this.tty;
  }

  write(chunk: Uint8Array | string, cb?: (err?: Error | null) => void): boolean;
  write(chunk: Uint8Array | string, encoding?: BufferEncoding, cb?: (err?: Error | null) => void): boolean;
  write(
    chunk: Uint8Array | string,
    encoding?: BufferEncoding | ((err?: Error | null) => void),
    cb?: (err?: Error | null) => void,
  ): boolean {
    const done = typeof encoding === 'function' ? encoding : cb;
    const bytes =
      typeof chunk === 'string'
        ? Buffer.from(chunk, typeof encoding === 'string' ? encoding : 'utf8')
        : chunk;
    this.writeAll(bytes);
    if (done) process.nextTick(done);
    return true;
  }

  end(cb?: () => void): this;
  end(chunk: Uint8Array | string, cb?: () => void): this;
  end(chunk: Uint8Array | string, encoding?: BufferEncoding, cb?: () => void): this;
  end(
    chunk?: Uint8Array | string | (() => void),
    encoding?: BufferEncoding | (() => void),
    cb?: () => void,
  ): this {
    const done = [chunk, encoding, cb].find((a) => typeof a === 'function') as (() => void) | undefined;
    if (typeof chunk === 'string' || chunk instanceof Uint8Array)
      this.write(chunk, typeof encoding === 'string' ? encoding : 'utf8');
    this.writable = false;
    if (done) process.nextTick(done);
    return this;
  }

  private writeAll(bytes: Uint8Array): void {
    let offset = 0;
    while (offset < bytes.length && !this.readerLeft) {
      try {
        offset += writeSync(this.fd, bytes, offset, bytes.length - offset);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EPIPE' || code === 'ECONNRESET') this.readerLeft = true;
        else if (code === 'EAGAIN') Atomics.wait(sleeper, 0, 0, FULL_PIPE_WAIT_MS);
        else throw error;
      }
    }
  }
}
