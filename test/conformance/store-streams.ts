import { crc32c } from '@node-rs/crc32';
import { Readable } from 'node:stream';
import v8 from 'node:v8';
import vm from 'node:vm';
import { encodeCrc32c } from '../../src/storage/checksum.js';
import type { ObjectInfo, ObjectStore } from '../../src/storage/types.js';

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function readText(store: ObjectStore, bucket: string, key: string): Promise<string> {
  return (await readAll(await store.read(bucket, key))).toString('utf8');
}

/** Every key of a bucket (all pages). */
export async function listAll(
  store: ObjectStore,
  bucket: string,
  prefix?: string,
  pageSize?: number,
): Promise<ObjectInfo[]> {
  const items: ObjectInfo[] = [];
  let pageToken: string | undefined;
  do {
    const page = await store.list(bucket, { prefix, pageSize, pageToken });
    items.push(...page.items);
    pageToken = page.nextPageToken;
  } while (pageToken);
  return items;
}

export async function listKeys(store: ObjectStore, bucket: string, prefix?: string): Promise<string[]> {
  return (await listAll(store, bucket, prefix)).map((i) => i.key);
}

/** A stream that yields `chunks` then fails with `error`. */
export function failingStream(chunks: number, chunkBytes: number, error: Error): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent++ < chunks) this.push(Buffer.alloc(chunkBytes, 0x6e));
      else this.destroy(error);
    },
  });
}

/** A stream that records whether anyone asked it for data. */
export function canaryStream(): { stream: Readable; touched: () => boolean } {
  let touched = false;
  const stream = new Readable({
    read() {
      touched = true;
      this.push(null);
    },
  });
  return { stream, touched: () => touched };
}

export function macrotask(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

let gc: (() => void) | undefined | null;

/** A full GC when the runtime lets us expose one (so only live memory is measured), else undefined. */
export function forceGc(): (() => void) | undefined {
  if (gc === undefined) {
    try {
      v8.setFlagsFromString('--expose-gc');
      gc = vm.runInNewContext('gc') as () => void;
    } catch {
      gc = null;
    }
  }
  return gc ?? undefined;
}

/**
 * Measures live memory (V8 heap + buffers after a full GC when available,
 * else RSS) at sample points; `growth` is the largest rise over the baseline.
 */
export class MemoryProbe {
  private readonly gc = forceGc();
  private readonly baseline: number;
  growth = 0;

  constructor() {
    this.baseline = this.measure();
  }

  get method(): string {
    return this.gc ? 'heapUsed+external after gc' : 'rss';
  }

  sample(): void {
    this.growth = Math.max(this.growth, this.measure() - this.baseline);
  }

  private measure(): number {
    if (!this.gc) return process.memoryUsage.rss();
    this.gc();
    const m = process.memoryUsage();
    return m.heapUsed + m.external;
  }
}

const CHUNK = 256 * 1024;
const SAMPLE_EVERY = 4 * 1024 * 1024;

/**
 * `total` bytes of deterministic data, generated chunk by chunk (never held
 * whole); its CRC32C is known once it ends. Samples `probe` as it goes.
 */
export function generatedStream(
  total: number,
  probe: MemoryProbe,
): { stream: Readable; crc32c: () => string } {
  let sent = 0;
  let state = 0;
  let nextSample = 0;
  const stream = new Readable({
    highWaterMark: CHUNK,
    read() {
      if (sent >= total) {
        this.push(null);
        return;
      }
      if (sent >= nextSample) {
        probe.sample();
        nextSample += SAMPLE_EVERY;
      }
      const size = Math.min(CHUNK, total - sent);
      const chunk = Buffer.allocUnsafe(size);
      chunk.fill((sent / CHUNK) & 0xff);
      if (size >= 4) chunk.writeUInt32BE(sent >>> 0, 0);
      state = crc32c(chunk, state);
      sent += size;
      this.push(chunk);
    },
  });
  return { stream, crc32c: () => encodeCrc32c(state) };
}

/** Reads a stream to its end, sampling `probe`; returns size and CRC32C. */
export async function consumeMeasured(
  stream: Readable,
  probe: MemoryProbe,
): Promise<{ size: number; crc32c: string }> {
  let state = 0;
  let size = 0;
  let nextSample = 0;
  for await (const chunk of stream) {
    const buffer = chunk as Buffer;
    state = crc32c(buffer, state);
    size += buffer.length;
    if (size >= nextSample) {
      probe.sample();
      nextSample += SAMPLE_EVERY;
    }
  }
  return { size, crc32c: encodeCrc32c(state) };
}
