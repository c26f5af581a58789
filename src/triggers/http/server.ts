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
  const requests: Requests = { active: 0, idle: [] };
  const server = countingServer(app, requests);
  server.keepAliveTimeout = 5_000;
  await listen(server, options);
  const address = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;

  return {
    url: urlOf(address),
    port: address.port,
    host: options.host,
    inFlight: () => requests.active,
    close(graceMs = 30_000) {
      closing ??= closeGracefully(server, requests, graceMs, log);
      return closing;
    },
  };
}

/** Requests being answered, and who waits for there to be none. */
interface Requests {
  active: number;
  idle: Array<() => void>;
}

/** A Node HTTP server answering with `app` that keeps `requests` up to date. */
function countingServer(app: Hono, requests: Requests): Server {
  return createAdaptorServer({
    fetch: async (request: Request, env: unknown) => {
      requests.active++;
      try {
        return await app.fetch(request, env);
      } finally {
        requests.active--;
        if (requests.active === 0) requests.idle.splice(0).forEach((resolve) => resolve());
      }
    },
  }) as Server;
}

/** Resolves once the server listens; a listen error becomes a UsageError naming the address. */
function listen(server: Server, options: ServerOptions): Promise<void> {
  return new Promise<void>((resolve, reject) => {
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
}

/** `http://HOST:PORT` of a listening address (a wildcard host is shown as 127.0.0.1). */
function urlOf(address: AddressInfo): string {
  const shown = address.address === '0.0.0.0' || address.address === '::' ? '127.0.0.1' : address.address;
  return `http://${shown.includes(':') ? `[${shown}]` : shown}:${address.port}`;
}

/**
 * Stops accepting connections and closes idle ones as requests finish;
 * resolves once none is in flight and the server closed. After `graceMs` the
 * remaining connections are cut.
 */
function closeGracefully(server: Server, requests: Requests, graceMs: number, log: Logger): Promise<void> {
  return new Promise<void>((resolve) => {
    const drained = new Promise<void>((done) => (requests.active === 0 ? done() : requests.idle.push(done)));
    const closed = new Promise<void>((done) => server.close(() => done()));
    server.closeIdleConnections();
    const sweep = setInterval(() => server.closeIdleConnections(), 100);
    const cut = setTimeout(() => {
      log.warn({ inFlight: requests.active }, 'grace period over: closing remaining connections');
      server.closeAllConnections();
    }, graceMs);
    void Promise.all([drained, closed]).then(() => {
      clearInterval(sweep);
      clearTimeout(cut);
      resolve();
    });
  });
}
