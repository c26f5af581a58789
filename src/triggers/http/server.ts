import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import type { Hono } from 'hono';
import { UsageError } from '../../model/errors.js';
import { silentLogger, type Logger } from '../../util/log.js';

export interface ServerOptions {
  port: number;
  host: string;
  logger?: Logger;
}

export interface ServerHandle {
  /** `http://HOST:PORT` (a wildcard host is shown as 127.0.0.1). */
  url: string;
  port: number;
  host: string;
  /** Requests being answered right now. */
  inFlight(): number;
  /**
   * Stops accepting connections, lets requests in flight finish (their
   * deliveries with them), then resolves. After `graceMs` the remaining
   * connections are cut.
   */
  close(graceMs?: number): Promise<void>;
}

/** True for addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(?:\.\d{1,3}){3}$/.test(h) || h === '::ffff:127.0.0.1';
}

/** Serves a Hono app on Node's HTTP server; resolves once listening (rejects on EADDRINUSE and the like). */
export async function startServer(app: Hono, options: ServerOptions): Promise<ServerHandle> {
  const log = options.logger ?? silentLogger();
  let active = 0;
  const idle: Array<() => void> = [];
  const server = createAdaptorServer({
    fetch: async (request: Request, env: unknown) => {
      active++;
      try {
        return await app.fetch(request, env);
      } finally {
        active--;
        if (active === 0) idle.splice(0).forEach((resolve) => resolve());
      }
    },
  }) as Server;
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(
        new UsageError(
          `[switchyard] [http] cannot listen on ${options.host}:${options.port}: ${error.code ?? error.message}`,
          {
            host: options.host,
            port: options.port,
          },
        ),
      );
    };
    server.once('error', onError);
    server.listen(options.port, options.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shown = address.address === '0.0.0.0' || address.address === '::' ? '127.0.0.1' : address.address;
  const url = `http://${shown.includes(':') ? `[${shown}]` : shown}:${address.port}`;
  let closing: Promise<void> | undefined;

  return {
    url,
    port: address.port,
    host: options.host,
    inFlight: () => active,
    close(graceMs = 30_000) {
      closing ??= new Promise<void>((resolve) => {
        const drained = new Promise<void>((done) => (active === 0 ? done() : idle.push(done)));
        const closed = new Promise<void>((done) => server.close(() => done()));
        server.closeIdleConnections();
        const sweep = setInterval(() => server.closeIdleConnections(), 100);
        const cut = setTimeout(() => {
          log.warn({ inFlight: active }, 'grace period over: closing remaining connections');
          server.closeAllConnections();
        }, graceMs);
        void Promise.all([drained, closed]).then(() => {
          clearInterval(sweep);
          clearTimeout(cut);
          resolve();
        });
      });
      return closing;
    },
  };
}
