import type { FlowView } from '../api-types.js';
import type { Measure } from './state.js';

/**
 * The geometry of the flow picture, a plain two-column Sankey: source buckets
 * on the left, destination buckets on the right, one band per (source,
 * destination) whose thickness is its share of files or bytes. Pure, so it is
 * tested without a browser; ./flows.ts draws it.
 */

export const WIDTH = 500;
export const NODE_WIDTH = 12;
/** x of the source column's bars, and of the destination column's. */
export const LEFT = 118;
export const RIGHT = WIDTH - 118 - NODE_WIDTH;
const TOP = 10;
const GAP = 12;
const MIN_HEIGHT = 240;
const MAX_HEIGHT = 560;
const ROW_HEIGHT = 64;

/** One bucket (`PROJECT/BUCKET`) of a column. */
export interface FlowNode {
  key: string;
  /** Its files or bytes, whichever is measured. */
  value: number;
  files: number;
  bytes: number;
  y: number;
  height: number;
}

/** One (source, destination) band, from `y0` on the left to `y1` on the right. */
export interface FlowBand {
  flow: FlowView;
  source: FlowNode;
  destination: FlowNode;
  y0: number;
  y1: number;
  height: number;
}

export interface FlowLayout {
  height: number;
  /** Largest first (ties by key); source i is drawn in colour i. */
  sources: FlowNode[];
  destinations: FlowNode[];
  /** In drawing order: by source position, then destination position. */
  bands: FlowBand[];
  /** What was measured, over the flows drawn. */
  files: number;
  bytes: number;
}

export function sourceKey(flow: FlowView): string {
  return `${flow.sourceProject}/${flow.sourceBucket}`;
}

export function destinationKey(flow: FlowView): string {
  return `${flow.destinationProject}/${flow.destinationBucket}`;
}

/** Lays out the flows that have some of `measure` (the others are left out). */
export function layoutFlows(all: readonly FlowView[], measure: Measure): FlowLayout {
  const flows = all.filter((f) => f[measure] > 0);
  const sourceNodes = new Map<string, FlowNode>();
  const destinationNodes = new Map<string, FlowNode>();
  const ends = flows.map((flow) => ({
    flow,
    source: tally(sourceNodes, sourceKey(flow), flow, measure),
    destination: tally(destinationNodes, destinationKey(flow), flow, measure),
  }));
  const sources = ranked(sourceNodes);
  const destinations = ranked(destinationNodes);
  const rows = Math.max(sources.length, destinations.length, 1);
  const height = Math.max(MIN_HEIGHT, Math.min(MAX_HEIGHT, rows * ROW_HEIGHT + TOP * 2));
  const layout: FlowLayout = {
    height,
    sources,
    destinations,
    bands: [],
    files: sum(flows, (f) => f.files),
    bytes: sum(flows, (f) => f.bytes),
  };
  if (flows.length === 0) return layout;

  const usable = (n: number) => height - TOP * 2 - GAP * (n - 1) - 2 * n;
  const scale = Math.min(usable(sources.length), usable(destinations.length)) / sum(flows, (f) => f[measure]);
  place(sources, scale, height);
  place(destinations, scale, height);

  const offsets = new Map<FlowNode, number>();
  const sorted = [...ends].sort((a, b) => a.source.y - b.source.y || a.destination.y - b.destination.y);
  for (const { flow, source, destination } of sorted) {
    const band = Math.max(1, flow[measure] * scale);
    const y0 = source.y + (offsets.get(source) ?? 0);
    const y1 = destination.y + (offsets.get(destination) ?? 0);
    offsets.set(source, (offsets.get(source) ?? 0) + band);
    offsets.set(destination, (offsets.get(destination) ?? 0) + band);
    layout.bands.push({ flow, source, destination, y0, y1, height: band });
  }
  return layout;
}

function tally(nodes: Map<string, FlowNode>, key: string, flow: FlowView, measure: Measure): FlowNode {
  let node = nodes.get(key);
  if (!node) {
    node = { key, value: 0, files: 0, bytes: 0, y: 0, height: 0 };
    nodes.set(key, node);
  }
  node.value += flow[measure];
  node.files += flow.files;
  node.bytes += flow.bytes;
  return node;
}

function ranked(nodes: Map<string, FlowNode>): FlowNode[] {
  return [...nodes.values()].sort((a, b) => b.value - a.value || (a.key < b.key ? -1 : 1));
}

/** Stacks a column's bars (at least 2 px each), centred vertically. */
function place(nodes: FlowNode[], scale: number, height: number): void {
  const used = sum(nodes, (node) => Math.max(2, node.value * scale)) + GAP * (nodes.length - 1);
  let y = TOP + Math.max(0, (height - TOP * 2 - used) / 2);
  for (const node of nodes) {
    node.y = y;
    node.height = Math.max(2, node.value * scale);
    y += node.height + GAP;
  }
}

function sum<T>(items: readonly T[], of: (item: T) => number): number {
  return items.reduce((n, item) => n + of(item), 0);
}
