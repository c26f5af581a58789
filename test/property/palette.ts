import fc from 'fast-check';

/**
 * What a property case is made of: a referential drawn from a small palette
 * and a list of actions run in order against a real data root. Everything is
 * plain data, so a shrunk counterexample prints as something to read.
 */

export const HEADER =
  'source_project,source_bucket,source_file_mask,destination_project,destination_bucket,destination_directory,action,on_conflict,transform,complete_when,route_id';

/** Landing buckets, all in project `land`. `drop` is a source only when a row says so. */
export const LANDING_BUCKETS = ['in', 'drop'] as const;
export type LandingBucket = (typeof LANDING_BUCKETS)[number];

/** Keys a producer writes; `sub/` is the folder an attacker may swap for a link. */
export const NAMES = [
  'sale_1.csv',
  'fin.csv',
  'notes.txt',
  'sub/sale_2.csv',
  'sub/fin.csv',
  'data.bin',
  '_SUCCESS',
  'sub/_SUCCESS',
];
export const SWAPPABLE_FOLDER = 'sub';

/** Files of the folder outside the data root that a swapped link points to (names a listing of `sub/` may hold). */
export const OUTSIDE_FILES = ['sale_2.csv', 'fin.csv', 'keep.txt'];

const MASKS = ['\\.csv$', '^sale', '\\.txt$', '.'];
const DESTINATIONS = [
  ['fin', 'raw'],
  ['audit', 'raw'],
] as const;

export interface RowSpec {
  sourceBucket: string;
  mask: string;
  destinationProject: string;
  destinationBucket: string;
  directory: string;
  action: 'move' | 'copy';
  onConflict: 'fail' | 'overwrite' | 'version';
  /** `gzip` always succeeds; `gunzip` of bytes that are not gzip fails, and the source must stay. */
  transform?: '' | 'gzip' | 'gunzip';
  /** A group row (`complete_when`): its files in one folder wait for `_SUCCESS` there, then move whole. */
  completeWhen?: '' | '^_SUCCESS$';
}

/**
 * A row the system must refuse to carry out while keeping the file:
 * `self` routes land/in to itself, `cycle` routes land/in → land/drop →
 * land/in, `mirror` routes to land/mirror, a bucket folder that is a
 * symlink to land/in.
 */
export type Hazard = 'none' | 'self' | 'cycle' | 'mirror';

export type Action =
  | { kind: 'land'; bucket: LandingBucket; name: number; bytes: string }
  | { kind: 'landAgain'; pick: number; keepMtime: boolean }
  | { kind: 'scan' }
  | { kind: 'event'; pick: number; twice: boolean }
  | { kind: 'enqueue'; pick: number }
  | { kind: 'drain'; maxBatch: number }
  | { kind: 'watch'; pick: number }
  | { kind: 'watcherRun' }
  | { kind: 'moveBack'; pick: number }
  | { kind: 'take'; pick: number }
  | { kind: 'rename'; pick: number; name: number }
  | { kind: 'swapLink'; bucket: LandingBucket; duringScan: boolean }
  | { kind: 'truncate'; keepPercent: number }
  | { kind: 'duringScan'; inner: Action };

export interface Scenario {
  rows: RowSpec[];
  archive: boolean;
  hazard: Hazard;
  actions: Action[];
}

const rowArb: fc.Arbitrary<RowSpec> = fc
  .record({
    sourceBucket: fc.constantFrom('in', 'in', 'drop'),
    mask: fc.constantFrom(...MASKS),
    destination: fc.constantFrom(...DESTINATIONS),
    directory: fc.constantFrom('', 'a'),
    action: fc.constantFrom('move' as const, 'copy' as const),
    onConflict: fc.constantFrom('fail' as const, 'overwrite' as const, 'version' as const),
    transform: fc.constantFrom('' as const, '' as const, '' as const, 'gzip' as const, 'gunzip' as const),
    completeWhen: fc.constantFrom('' as const, '' as const, '^_SUCCESS$' as const),
  })
  .map(({ destination, completeWhen, ...row }) => ({
    ...row,
    // a mask that matches the marker cannot make a group (validate refuses it)
    completeWhen: row.mask === '.' ? ('' as const) : completeWhen,
    destinationProject: destination[0],
    destinationBucket: destination[1],
  }));

const pick = fc.nat({ max: 50 });
const bucketArb = fc.constantFrom(...LANDING_BUCKETS);

const landArb = fc.record({
  kind: fc.constant('land' as const),
  bucket: bucketArb,
  name: fc.nat({ max: NAMES.length - 1 }),
  bytes: fc.uint8Array({ minLength: 1, maxLength: 6 }).map((b) => Buffer.from(b).toString('hex')),
});
const landAgainArb = fc.record({ kind: fc.constant('landAgain' as const), pick, keepMtime: fc.boolean() });
const moveBackArb = fc.record({ kind: fc.constant('moveBack' as const), pick });
const takeArb = fc.record({ kind: fc.constant('take' as const), pick });
const renameArb = fc.record({
  kind: fc.constant('rename' as const),
  pick,
  name: fc.nat({ max: NAMES.length - 1 }),
});

export const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { weight: 5, arbitrary: landArb },
  { weight: 2, arbitrary: landAgainArb },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('scan' as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('event' as const), pick, twice: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('watch' as const), pick }) },
  // a notification queued (serve --mode batch, a bucket's subscription), then a drain of the queue
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('enqueue' as const), pick }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('drain' as const), maxBatch: fc.integer({ min: 1, max: 3 }) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('watcherRun' as const) }) },
  { weight: 2, arbitrary: moveBackArb },
  { weight: 2, arbitrary: takeArb },
  { weight: 1, arbitrary: renameArb },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('swapLink' as const),
      bucket: bucketArb,
      duringScan: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('truncate' as const), keepPercent: fc.nat({ max: 100 }) }),
  },
  {
    // a producer, consumer or operator acts after a scan listed the files and before it routes them
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('duringScan' as const),
      inner: fc.oneof(landArb, landAgainArb, moveBackArb, takeArb, renameArb),
    }),
  },
);

export const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  rows: fc.array(rowArb, { minLength: 1, maxLength: 3 }),
  archive: fc.boolean(),
  hazard: fc.constantFrom<Hazard>('none', 'none', 'none', 'self', 'cycle', 'mirror'),
  actions: fc.array(actionArb, { minLength: 1, maxLength: 24 }),
});

/** The referential of a scenario as CSV: its rows (exact duplicates dropped), the archive row, the hazard rows. */
export function referentialCsv(scenario: Scenario): string {
  const rows: RowSpec[] = [...scenario.rows];
  const move = { action: 'move', onConflict: 'fail' } as const;
  if (scenario.archive)
    rows.push({ sourceBucket: 'in', mask: '\\.csv$', ...landTo('in', 'archive'), ...move });
  if (scenario.hazard === 'self') rows.push({ sourceBucket: 'in', mask: '.', ...landTo('in', ''), ...move });
  if (scenario.hazard === 'cycle') {
    rows.push({ sourceBucket: 'in', mask: '\\.csv$', ...landTo('drop', ''), ...move });
    rows.push({ sourceBucket: 'drop', mask: '\\.csv$', ...landTo('in', ''), ...move });
  }
  if (scenario.hazard === 'mirror')
    rows.push({ sourceBucket: 'in', mask: '.', ...landTo('mirror', ''), ...move });
  const lines = new Set(
    rows.map((r) =>
      [
        'land',
        r.sourceBucket,
        r.mask,
        r.destinationProject,
        r.destinationBucket,
        r.directory,
        r.action,
        r.onConflict,
        r.transform ?? '',
        r.completeWhen ?? '',
      ].join(','),
    ),
  );
  return [HEADER, ...[...lines].map((line, i) => `${line},r${i + 1}`)].join('\n') + '\n';
}

function landTo(bucket: string, directory: string) {
  return { destinationProject: 'land', destinationBucket: bucket, directory };
}
