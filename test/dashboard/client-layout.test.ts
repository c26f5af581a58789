// The browser script's pure parts, run in Node: the flow picture's geometry
// and how numbers read. The page itself is driven in Chromium by browser.test.ts.
import { describe, expect, it } from 'vitest';
import type { FlowView } from '../../src/triggers/http/dashboard/api-types.js';
import { layoutFlows, LEFT, RIGHT, WIDTH } from '../../src/triggers/http/dashboard/client/flow-layout.js';
import { age, bytes, clip, count, shorten, shortTime, time } from '../../src/triggers/http/dashboard/client/format.js';

const flow = (source: string, destination: string, files: number, size: number): FlowView => {
  const [sourceProject = '', sourceBucket = ''] = source.split('/');
  const [destinationProject = '', destinationBucket = ''] = destination.split('/');
  return { sourceProject, sourceBucket, destinationProject, destinationBucket, files, bytes: size };
};

const FLOWS = [
  flow('shop/landing', 'sales/raw', 30, 3_000),
  flow('shop/landing', 'finance/raw', 10, 90_000),
  flow('shop/drop', 'sales/raw', 20, 1_000),
  flow('partners/invoices', 'archive/cold', 0, 0),
];

describe('flow picture layout', () => {
  it('ranks buckets by what is measured, stacks bands within their bars, and leaves empty flows out', () => {
    for (const measure of ['files', 'bytes'] as const) {
      const layout = layoutFlows(FLOWS, measure);
      expect(layout.bands).toHaveLength(3);
      expect(layout.files).toBe(60);
      expect(layout.bytes).toBe(94_000);
      for (const column of [layout.sources, layout.destinations]) {
        const values = column.map((n) => n.value);
        expect(values).toEqual([...values].sort((a, b) => b - a));
        for (let i = 1; i < column.length; i++)
          expect(column[i]!.y).toBeGreaterThanOrEqual(column[i - 1]!.y + column[i - 1]!.height);
        for (const node of column) {
          expect(node.y).toBeGreaterThanOrEqual(0);
          expect(node.y + node.height).toBeLessThanOrEqual(layout.height);
        }
      }
      for (const node of [...layout.sources, ...layout.destinations]) {
        const bands = layout.bands.filter((b) => b.source === node || b.destination === node);
        const tops = bands.map((b) => (b.source === node ? b.y0 : b.y1)).sort((a, b) => a - b);
        const thickness = bands.reduce((n, b) => n + b.height, 0);
        expect(thickness).toBeCloseTo(node.height, 6);
        expect(tops[0]).toBeCloseTo(node.y, 6);
      }
    }
    expect(layoutFlows(FLOWS, 'files').sources.map((s) => s.key)).toEqual(['shop/landing', 'shop/drop']);
    expect(layoutFlows(FLOWS, 'bytes').destinations.map((s) => s.key)).toEqual(['finance/raw', 'sales/raw']);
    expect(LEFT).toBeLessThan(RIGHT);
    expect(RIGHT).toBeLessThan(WIDTH);
  });

  it('has nothing to draw, at the smallest height, when no flow has any of the measure', () => {
    const layout = layoutFlows([flow('a/b', 'c/d', 0, 0)], 'files');
    expect(layout).toMatchObject({ height: 240, bands: [], sources: [], destinations: [], files: 0 });
  });

  it('grows with the number of buckets, up to a cap', () => {
    const many = Array.from({ length: 40 }, (_, i) => flow(`p/s${i}`, `p/d${i}`, i + 1, 1));
    expect(layoutFlows(many.slice(0, 5), 'files').height).toBe(5 * 64 + 20);
    expect(layoutFlows(many, 'files').height).toBe(560);
  });
});

describe('how numbers read', () => {
  it('formats counts, sizes, instants and spans', () => {
    expect(count(1234567)).toBe('1,234,567');
    expect(count(undefined)).toBe('0');
    expect([999, 1500, 12_345_678, 420e9].map(bytes)).toEqual(['999 B', '1.50 KB', '12.3 MB', '420 GB']);
    expect(time(Date.UTC(2024, 4, 1, 12, 34, 56))).toBe('2024-05-01 12:34:56Z');
    expect(time(undefined)).toBe('');
    const at = Date.UTC(2024, 4, 1, 12, 34);
    expect(shortTime(at, at + 3_600_000)).toBe('12:34');
    expect(shortTime(at, at + 2 * 86_400_000)).toBe('05-01');
    expect([42_000, 300_000, 12_000_000, 180_000_000, -1].map(age)).toEqual([
      '42 s',
      '5 min',
      '3 h 20 min',
      '2 d 2 h',
      '–',
    ]);
    expect(shorten('a_very_long_file_name.csv', 12)).toBe('a_ver…me.csv');
    expect(shorten('short.csv', 12)).toBe('short.csv');
    expect(clip('abcdef', 4)).toBe('abc…');
  });
});
