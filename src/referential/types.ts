import type { RouteAction } from '../ledger/types.js';
import type { TransformName } from '../storage/transform.js';

export type ConflictPolicy = 'fail' | 'overwrite' | 'version';

/** One row of the referential, as written (all text), with where it came from. */
export interface RawRow {
  file: string;
  /** 1-based line of the row in its file (the header is line 1 in a CSV). */
  line: number;
  fields: Record<string, string>;
  /**
   * The header of a CSV row with fewer fields than it (one array shared by
   * the file's rows): a column of it the row has no field for was cut short
   * (a lost trailing comma), not missing from the file.
   */
  header?: readonly string[];
}

/** A validated, compiled row. */
export interface Route {
  id: string;
  file: string;
  line: number;
  sourceProject: string;
  sourceBucket: string;
  /** The mask as written (RE2 syntax). */
  mask: string;
  destinationProject: string;
  destinationBucket: string;
  /** Template as written, placeholders unexpanded; may be empty. */
  destinationDirectory: string;
  action: RouteAction;
  onConflict: ConflictPolicy;
  enabled: boolean;
  /** Column `allow_cycle`: this row may take part in a routing cycle (every row of the cycle must say so). */
  allowCycle: boolean;
  /** Column `destination_name`: template of the delivered file's name; absent, the name is kept. */
  destinationName?: string;
  /** Column `timezone`: IANA zone of the date placeholders of both templates; absent, UTC. */
  timezone?: string;
  /** Column `transform`: the bytes are rewritten on the way and the file name follows (transformedName). */
  transform?: TransformName;
  /** Column `write_manifest`: each batch drain writes `_MANIFEST-<id>.json` where it delivered. */
  writeManifest?: boolean;
  /** Column `notify`: URL (`https://`, `sqs://`, `pubsub://`, `nats://`) sent one message per drain or group delivered. */
  notify?: string;
  /**
   * Column `complete_when`: RE2 mask of a marker file name. Files this row
   * matches in one folder are a group, delivered together once a marker
   * lands in that folder (router/group.ts).
   */
  completeWhen?: string;
  /** Column `group_timeout` in ms (default 24h): an incomplete group older than this is dead-lettered. */
  groupTimeoutMs?: number;
}

/** A row that matched a file name, with the mask's named groups. */
export interface RouteMatch {
  route: Route;
  groups: Record<string, string>;
}

/** Values the directory template may use besides the mask's named groups. */
export interface TemplateContext {
  /** Source object key (its folder gives `{path}`, its last segment `{name}`). */
  key: string;
  /** Creation time of the object generation, never the clock. */
  created: Date;
  /** IANA zone the date placeholders are read in; absent, UTC. */
  timeZone?: string;
  groups: Record<string, string>;
}

/**
 * A loaded referential. `match` returns every enabled row of that source
 * bucket whose mask is found (unanchored RE2 search) in the file name, in
 * file order.
 */
export interface Referential {
  readonly source: string;
  readonly routes: readonly Route[];
  match(sourceProject: string, sourceBucket: string, fileName: string): readonly RouteMatch[];
  /** Projects whose rows use this source bucket (for events that name no project). */
  projectsForBucket(bucket: string): string[];
  /** Distinct (project, bucket) pairs that are sources. */
  sources(): Array<{ project: string; bucket: string }>;
}
