// S3→S3 routing against fauxqs (a local S3 protocol server in a child process):
// 1,000 small objects and one large object (1 GiB; --quick: 200 objects, 64 MiB)
// copied by switchyard (the CLI's `scan`, server-side CopyObject) vs `rclone copy`
// (server-side too: both sides are the same on-the-fly remote), same
// endpoint, same run. Both go through a counting HTTP proxy in front of
// fauxqs, so requests per object are counted at the server's door (listing
// requests amortised over the objects: each tool's listing of the source,
// switchyard's of the destination folder, which stands for a look at each
// key on a server that ignores If-None-Match). Reports the wall-time ratio, the
// objects/s beyond each tool's own start-up (a run over an empty bucket,
// measured in the same run), the object bytes switchyard sent the server
// for the copy (PUT bodies counted at the proxy; target 0), and, separately,
// the object bytes it read to verify (GetObject answers at the proxy): 0 for
// the small objects (single-part ETags: the copy's answer is the
// destination's MD5); 0 for the large one too, multipart-uploaded, so its
// ETag proves nothing and fauxqs returns no CRC32C: the row copies (the
// source stays), so a look at the source after the copy checks the pin
// fauxqs does not enforce (a move would read the source once).
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import process from 'node:process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { startCountingProxy } from './lib/counting-proxy.mjs';
import { have, nodeCommand, ROOT, row, runDirectly, tempDir, timed } from './lib/common.mjs';

const MIB = 1024 * 1024;
const SMALL_BYTES = 4096;
/** fauxqs refuses request bodies above 11 MiB: uploads go in parts below that. */
const PART_BYTES = 8 * MIB;
const CONCURRENCY = 16;
const CREDENTIALS = { accessKeyId: 'bench', secretAccessKey: 'bench' };
const HEADER =
  'source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory,action';

const FAUXQS_CHILD = `
import { startFauxqs } from 'fauxqs';
const server = await startFauxqs({ port: 0, logger: false, defaultRegion: 'us-east-1' });
process.stdout.write(JSON.stringify({ port: server.port }) + '\\n');
process.on('SIGTERM', () => server.stop().then(() => process.exit(0)));
process.stdin.on('end', () => process.exit(0)).resume();
`;

async function startFauxqs() {
  const child = spawn(
    process.execPath,
    ['--max-old-space-size=8192', '--input-type=module', '-e', FAUXQS_CHILD],
    {
      cwd: ROOT,
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const lines = createInterface({ input: child.stdout });
  const port = await new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`fauxqs exited with code ${code}`)));
    lines.once('line', (line) => resolve(JSON.parse(line).port));
  });
  lines.close();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** `listingMs`: destinationListingMs (undefined: the default; 0: a HEAD per destination key). */
function yaml(endpoint, listingMs) {
  const project = (name) => `  ${name}:
    backend: s3
    endpoint: "${endpoint}"
    region: us-east-1
    forcePathStyle: true
    accessKeyIdEnv: BENCH_S3_KEY_ID
    secretAccessKeyEnv: BENCH_S3_SECRET
    partSizeBytes: ${PART_BYTES}
${listingMs === undefined ? '' : `    destinationListingMs: ${listingMs}\n`}`;
  return `projects:\n${project('src')}${project('lake')}`;
}

async function pool(items, size, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: size }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

async function seedSmall(s3, bucket, count) {
  const body = randomBytes(SMALL_BYTES);
  const keys = Array.from({ length: count }, (_, i) => `in/s-${String(i).padStart(5, '0')}.bin`);
  await pool(keys, CONCURRENCY, (key) =>
    s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body })),
  );
  return count * SMALL_BYTES;
}

async function seedLarge(s3, bucket, bytes) {
  const block = randomBytes(4 * MIB);
  const body = Readable.from(
    (function* () {
      for (let sent = 0; sent < bytes; sent += block.length)
        yield block.subarray(0, Math.min(block.length, bytes - sent));
    })(),
  );
  await new Upload({
    client: s3,
    partSize: PART_BYTES,
    queueSize: 2,
    params: { Bucket: bucket, Key: 'in/large.bin', Body: body },
  }).done();
  return bytes;
}

/**
 * Deletes the objects of `bucket` (a round's copies, once counted): fauxqs
 * keeps every object in memory, and three rounds of 1 GiB copies by two
 * tools would hold 7 GiB.
 */
async function emptyBucket(s3, bucket) {
  let token;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, ...(token ? { ContinuationToken: token } : {}) }),
    );
    await pool(page.Contents ?? [], CONCURRENCY, ({ Key }) =>
      s3.send(new DeleteObjectCommand({ Bucket: bucket, Key })),
    );
    token = page.NextContinuationToken;
  } while (token);
}

async function countKeys(s3, bucket, prefix) {
  let count = 0;
  let token;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: prefix,
        ...(token ? { ContinuationToken: token } : {}),
      }),
    );
    count += page.KeyCount ?? 0;
    token = page.NextContinuationToken;
  } while (token);
  return count;
}

async function expectKeys(s3, bucket, prefix, expected, who) {
  const found = await countKeys(s3, bucket, prefix);
  if (found !== expected)
    throw new Error(`${who} left ${found} of ${expected} objects under ${bucket}/${prefix}`);
}

/** `switchyard scan` of the CLI users run (start-up included, as for rclone), with its own ledger per folder. */
async function switchyard(dir, env, source, destination) {
  await writeFile(
    path.join(dir, 'routes.csv'),
    `${HEADER}\nsrc,${source},\\.bin$,lake,${destination},switchyard/{path},copy\n`,
  );
  const [cmd, args] = nodeCommand(path.join(ROOT, 'bin', 'switchyard.js'), [
    'scan',
    '--json',
    '--concurrency',
    String(CONCURRENCY),
    '--routes-poll',
    '0',
  ]);
  // SWITCHYARD_BENCH_CPU_PROF=DIR: a V8 CPU profile of each switchyard run, written to DIR
  const profile = process.env.SWITCHYARD_BENCH_CPU_PROF;
  if (profile) args.unshift('--cpu-prof', '--cpu-prof-dir', profile);
  const r = await timed(cmd, args, { cwd: dir, env });
  if (r.code !== 0) throw new Error(`switchyard failed: ${r.stderr}`);
  const out = JSON.parse(r.stdout);
  if (out.failed > 0 || out.dead > 0)
    throw new Error(`switchyard failed ${out.failed + out.dead}: ${JSON.stringify(out.errors.slice(0, 3))}`);
  return { routed: out.routed, ms: r.ms, maxRssBytes: r.maxRssBytes };
}

async function rclone(endpoint, source, destination) {
  const env = {
    PATH: process.env.PATH,
    RCLONE_CONFIG: '/dev/null',
    RCLONE_S3_PROVIDER: 'Other',
    RCLONE_S3_ENDPOINT: endpoint,
    RCLONE_S3_REGION: 'us-east-1',
    RCLONE_S3_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
    RCLONE_S3_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
    RCLONE_S3_FORCE_PATH_STYLE: 'true',
    RCLONE_S3_CHUNK_SIZE: `${PART_BYTES / MIB}M`,
  };
  const args = [
    'copy',
    `:s3:${source}/in`,
    `:s3:${destination}/rclone/in`,
    '--transfers',
    String(CONCURRENCY),
    '--checkers',
    String(CONCURRENCY),
    '--stats-one-line',
    '-v',
    '--stats',
    '1h',
  ];
  const r = await timed('rclone', args, { env });
  if (r.code !== 0) throw new Error(`rclone failed: ${r.stderr.slice(-2000)}`);
  return {
    ms: r.ms,
    serverSide: /Server Side Copies:|server-side|Copied \(server-side copy\)/i.test(r.stderr),
  };
}

/**
 * Rounds of each copy: the tools take turns, each round into buckets of its
 * own, and the run of median time is reported, so that one slow moment of a
 * shared machine decides no row. Start-up is the median of as many runs.
 */
const ROUNDS = 3;

/** The run of median time among `runs` (an odd count), with the peak RSS of them all. */
function medianRun(runs) {
  const sorted = [...runs].sort((a, b) => a.ms - b.ms);
  const peak = Math.max(...runs.map((r) => r.maxRssBytes ?? 0));
  return { ...sorted[(sorted.length - 1) >> 1], maxRssBytes: peak };
}

/** Objects per second beyond a run's start-up (the same tool over an empty bucket). */
function perSecond(objects, ms, floorMs) {
  return objects / (Math.max(1, ms - floorMs) / 1000);
}

function rowsFor(label, bytes, objects, ours, theirs, timeTarget) {
  const through = ours.objectBytes.put;
  const reference = theirs
    ? `rclone copy${theirs.serverSide ? ' (server-side)' : ''}`
    : 'rclone (missing: apt-get install -y rclone)';
  const ourRate = perSecond(objects, ours.ms, ours.floorMs);
  const theirRate = theirs ? perSecond(objects, theirs.ms, theirs.floorMs) : null;
  return [
    row(`S3→S3 ${label}: copy time vs rclone copy (wall, start-up included)`, ours.ms / 1000, 's', {
      reference,
      referenceValue: theirs ? theirs.ms / 1000 : null,
      target: `≤ ${timeTarget}× rclone`,
      holds: theirs ? ours.ms <= theirs.ms * timeTarget : null,
      lowerIsBetter: true,
    }),
    row(`S3→S3 ${label}: copy time beyond start-up vs rclone's`, (ours.ms - ours.floorMs) / 1000, 's', {
      reference,
      referenceValue: theirs ? (theirs.ms - theirs.floorMs) / 1000 : null,
      target: `≤ ${timeTarget}× rclone`,
      holds: theirs ? ours.ms - ours.floorMs <= (theirs.ms - theirs.floorMs) * timeTarget : null,
      lowerIsBetter: true,
    }),
    row(`S3→S3 ${label}: objects/s beyond start-up vs rclone`, ourRate, 'objects/s', {
      reference,
      referenceValue: theirRate,
      target: '≥ 1× rclone',
      holds: theirs ? ourRate >= theirRate : null,
    }),
    row(`S3→S3 ${label}: requests per object at the server`, ours.requests / objects, 'requests', {
      reference: theirs ? 'rclone copy' : null,
      referenceValue: theirs ? theirs.requests / objects : null,
      ...(objects > 1
        ? { target: '≤ 3', holds: ours.requests / objects <= 3 }
        : // one object amortises nothing: its two listings and the copy are 3 already,
          // and the look the copy's metadata needs a fourth (bench/README.md)
          { target: "≤ rclone's", holds: theirs ? ours.requests <= theirs.requests : null }),
      lowerIsBetter: true,
    }),
    row(`S3→S3 ${label}: object bytes copied through the process`, through, 'B', {
      target: '0 (server-side)',
      holds: through === 0,
    }),
    row(`S3→S3 ${label}: bytes read to verify (fauxqs: no CRC32C)`, ours.objectBytes.get / MIB, 'MiB', {
      reference: 'object bytes',
      referenceValue: bytes / MIB,
    }),
  ];
}

/** Runs `fn` with the proxy's counters reset, adding the requests it made to its answer. */
async function counted(proxy, fn) {
  proxy.reset();
  const out = await fn();
  return { ...out, requests: proxy.total(), byMethod: proxy.counts(), objectBytes: proxy.bytes() };
}

export async function run({ quick = false } = {}) {
  // SWITCHYARD_BENCH_S3_OBJECTS: the small objects' count (default 1,000; --quick 200)
  const count = Number(process.env.SWITCHYARD_BENCH_S3_OBJECTS) || (quick ? 200 : 1000);
  const largeBytes = (quick ? 64 : 1024) * MIB;
  // fauxqs takes no request body above 11 MiB: the large source is a multipart upload (its ETag no
  // MD5), which fauxqs answers no CRC32C for, so nothing the server states proves the copy's bytes
  const largeLabel = `${quick ? '64 MiB' : '1 GiB'} object (multipart upload, 8 MiB parts)`;
  const fauxqs = await startFauxqs();
  const proxy = await startCountingProxy(fauxqs.endpoint);
  const { dir, remove } = await tempDir('s3');
  const s3 = new S3Client({
    region: 'us-east-1',
    endpoint: fauxqs.endpoint,
    forcePathStyle: true,
    credentials: CREDENTIALS,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  try {
    for (const bucket of [
      'small-src',
      ...Array.from({ length: ROUNDS }, (_, i) => `small-dst-${i}`),
      'small-dst-head',
      'small-dst-head2',
      'large-src',
      ...Array.from({ length: ROUNDS }, (_, i) => `large-dst-${i}`),
      'empty-src',
      'empty-dst',
    ]) {
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    }
    const smallBytes = await seedSmall(s3, 'small-src', count);
    await seedLarge(s3, 'large-src', largeBytes);
    await writeFile(path.join(dir, 'switchyard.yaml'), yaml(proxy.endpoint));
    // the same copy with a HEAD per destination key instead of one listing of its folder (A/B, same run),
    // each run with its own ledger
    const headDir = async (name) => {
      const at = path.join(dir, name);
      await mkdir(at);
      await writeFile(path.join(at, 'switchyard.yaml'), yaml(proxy.endpoint, 0));
      return at;
    };
    const env = {
      PATH: process.env.PATH,
      BENCH_S3_KEY_ID: CREDENTIALS.accessKeyId,
      BENCH_S3_SECRET: CREDENTIALS.secretAccessKey,
      // the CLI's V8 code cache, kept as on a user's machine (the empty-bucket run makes it)
      XDG_CACHE_HOME: path.join(dir, 'cache'),
    };
    const rcloneThere = have('rclone');
    // each tool's start-up: the median of ROUNDS runs over an empty bucket, after one that warms it
    // (switchyard's first run writes the CLI's code cache, which every later run, as on a user's
    // machine, reads)
    const startUp = async (once) => {
      await once();
      const runs = [];
      for (let i = 0; i < ROUNDS; i++) runs.push(await once());
      return medianRun(runs).ms;
    };
    const ourFloor = await startUp(() => switchyard(dir, env, 'empty-src', 'empty-dst'));
    const theirFloor = rcloneThere
      ? await startUp(() => rclone(proxy.endpoint, 'empty-src', 'empty-dst'))
      : 0;
    const ours = async (source, destination, at = dir) => ({
      ...(await counted(proxy, () => switchyard(at, env, source, destination))),
      floorMs: ourFloor,
    });
    const theirs = async (source, destination) =>
      rcloneThere
        ? {
            ...(await counted(proxy, () => rclone(proxy.endpoint, source, destination))),
            floorMs: theirFloor,
          }
        : null;

    /**
     * ROUNDS copies of `source` by each tool in turn, each round into `<destination>-<round>`: the
     * median runs. switchyard's runs each have a ledger of their own (the ledger remembers a file
     * delivered by a row, wherever the row sends files now), made by a run over the empty bucket
     * first, as the start-up runs' is.
     */
    const rounds = async (source, destination, objects) => {
      const ourRuns = [];
      const theirRuns = [];
      for (let i = 0; i < ROUNDS; i++) {
        const bucket = `${destination}-${i}`;
        const at = path.join(dir, bucket);
        await mkdir(at);
        await writeFile(path.join(at, 'switchyard.yaml'), yaml(proxy.endpoint));
        await switchyard(at, env, 'empty-src', 'empty-dst');
        const run = await ours(source, bucket, at);
        if (run.routed !== objects) throw new Error(`switchyard routed ${run.routed} of ${objects}`);
        await expectKeys(s3, bucket, 'switchyard/in/', objects, 'switchyard');
        ourRuns.push(run);
        const their = await theirs(source, bucket);
        if (their) {
          await expectKeys(s3, bucket, 'rclone/in/', objects, 'rclone');
          theirRuns.push(their);
        }
        await emptyBucket(s3, bucket);
      }
      return { ours: medianRun(ourRuns), theirs: theirRuns.length > 0 ? medianRun(theirRuns) : null };
    };

    const rows = [];
    // A/B: a HEAD per key before and after the listed run (warm-up falls on the first), the faster kept
    const headRun = async (destination) => {
      const at = await headDir(destination);
      return counted(proxy, () => switchyard(at, env, 'small-src', destination));
    };
    const headsBefore = await headRun('small-dst-head');
    const { ours: smallOurs, theirs: smallTheirs } = await rounds('small-src', 'small-dst', count);
    const headsAfter = await headRun('small-dst-head2');
    const smallHeads = headsBefore.ms <= headsAfter.ms ? headsBefore : headsAfter;
    rows.push(...rowsFor(`${count} × 4 KiB objects`, smallBytes, count, smallOurs, smallTheirs, 1));
    for (const bucket of ['small-dst-head', 'small-dst-head2'])
      await expectKeys(s3, bucket, 'switchyard/in/', count, 'switchyard (HEAD per key)');
    rows.push(
      row(
        `S3→S3 ${count} × 4 KiB objects: objects/s, destination folder listed vs a HEAD per key`,
        perSecond(count, smallOurs.ms, ourFloor),
        'objects/s',
        {
          reference: `destinationListingMs: 0 (${(smallHeads.requests / count).toFixed(3)} requests per object)`,
          referenceValue: perSecond(count, smallHeads.ms, ourFloor),
        },
      ),
    );

    const { ours: largeOurs, theirs: largeTheirs } = await rounds('large-src', 'large-dst', 1);
    rows.push(...rowsFor(largeLabel, largeBytes, 1, largeOurs, largeTheirs, 1.2));
    rows.push(
      row(`S3→S3 ${largeLabel}: switchyard peak RSS`, largeOurs.maxRssBytes / MIB, 'MiB', {
        target: '< 150 MiB',
        holds: largeOurs.maxRssBytes < 150 * MIB,
      }),
    );
    if (process.env.SWITCHYARD_BENCH_VERBOSE) {
      console.error(JSON.stringify({ smallOurs: smallOurs.byMethod, smallTheirs: smallTheirs?.byMethod }));
      console.error(JSON.stringify({ largeOurs: largeOurs.byMethod, largeTheirs: largeTheirs?.byMethod }));
    }
    return rows;
  } finally {
    s3.destroy();
    await proxy.stop();
    await fauxqs.stop();
    await remove();
  }
}

await runDirectly(import.meta.url, run);
