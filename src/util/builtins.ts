import { createRequire } from 'node:module';
import type * as Https from 'node:https';
import type * as Tty from 'node:tty';
import type * as Zlib from 'node:zlib';

// Node's built-in modules that are not in its start-up snapshot cost their
// load at every start when imported at the top: node:https (with tls, net
// and http) about 25 ms, node:zlib about 7 ms, node:tty (with net) about 4 ms. The few places that need them
// (a notify URL, a transform) load them here at first use, synchronously
// (createRequire works the same in dist/ and in the CommonJS bundle).
const require = createRequire(import.meta.url);

/** node:zlib, loaded at first call. */
export const zlib = (): typeof Zlib => require('node:zlib') as typeof Zlib;

/** node:https, loaded at first call. */
export const https = (): typeof Https => require('node:https') as typeof Https;

/** node:tty, loaded at first call. */
export const tty = (): typeof Tty => require('node:tty') as typeof Tty;
