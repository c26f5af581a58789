import { createRequire } from 'node:module';
import type * as Crypto from 'node:crypto';
import type * as Https from 'node:https';
import type * as Os from 'node:os';
import type * as Stream from 'node:stream';
import type * as Tty from 'node:tty';
import type * as Zlib from 'node:zlib';

// Node's built-in modules that are not in its start-up snapshot cost their
// load at every start when imported at the top: node:https (with tls, net
// and http) about 25 ms, node:zlib about 7 ms, node:crypto (with a dozen
// internal modules) about 4.7 ms, node:tty (with net) about 4 ms,
// node:stream (with its eighteen internal modules) about 2–3 ms, node:os
// 0.3 ms. The places that need them (a notify URL, a transform, a delivery's
// id, a request's signature) load them here at first use, synchronously
// (createRequire works the same in dist/ and in the CommonJS bundle), so a
// run that routes nothing loads none of them.
// not named `require`: a CommonJS build of this module (tests compile some for child processes) has one
const requireBuiltin = createRequire(import.meta.url);

let loadedCrypto: typeof Crypto | undefined;
/** node:crypto, loaded at first call (kept: some callers ask per file or per request). */
export const crypto = (): typeof Crypto => (loadedCrypto ??= requireBuiltin('node:crypto') as typeof Crypto);

let loadedStream: typeof Stream | undefined;
/** node:stream, loaded at first call (kept: some callers ask per object). */
export const stream = (): typeof Stream => (loadedStream ??= requireBuiltin('node:stream') as typeof Stream);

/** node:os, loaded at first call. */
export const os = (): typeof Os => requireBuiltin('node:os') as typeof Os;

/** node:zlib, loaded at first call. */
export const zlib = (): typeof Zlib => requireBuiltin('node:zlib') as typeof Zlib;

/** node:https, loaded at first call. */
export const https = (): typeof Https => requireBuiltin('node:https') as typeof Https;

/** node:tty, loaded at first call. */
export const tty = (): typeof Tty => requireBuiltin('node:tty') as typeof Tty;
