import net from 'node:net';
import { it } from 'vitest';

/**
 * The rule for tests that need a server (NATS, the Pub/Sub emulator,
 * PostgreSQL, …): when it is missing, CI fails (`CI=true`) so a green build
 * never hides skipped backends; on a laptop the tests are skipped with the
 * reason printed and named in a skipped test.
 *
 * Call at collection time (top level of a test file); run the tests only when it returns true.
 */
export function requireService(name: string, available: boolean, reason: string): boolean {
  if (available) return true;
  const message = `[switchyard] [test] ${name} is not available: ${reason}`;
  if (process.env.CI === 'true')
    throw new Error(`${message} (CI=true, so tests that need it fail instead of skipping)`);
  console.warn(`${message}; skipping its tests`);
  it.skip(`${name} tests (skipped: ${reason})`, () => undefined);
  return false;
}

/** Resolves to undefined when a TCP connection to host:port opens, else to the reason it did not. */
export function probeTcp(host: string, port: number, timeoutMs = 1_000): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (reason: string | undefined): void => {
      socket.destroy();
      resolve(reason);
    };
    socket.setTimeout(timeoutMs, () => done(`no answer from ${host}:${port} within ${timeoutMs} ms`));
    socket.once('connect', () => done(undefined));
    socket.once('error', (error) => done(`cannot connect to ${host}:${port}: ${error.message}`));
  });
}

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** A name unique to this run, safe for streams, topics and queues: letters, digits, `_`. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
}
