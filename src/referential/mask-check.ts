import { RE2Set } from 're2js';
import { MaskSyntaxUnsupported, namedGroupsOf, parseMask } from './mask-syntax.js';
import { maskShape } from './mask-shape.js';

/** What checking a valid mask's syntax tells. */
export interface MaskSyntax {
  /** Whether the analyser (mask-syntax.ts) reads the mask; else only re2js knows it. */
  readable: boolean;
  /** Its named groups, in order, when readable (re2js names them otherwise). */
  groupNames: readonly string[];
}

/**
 * Checks a mask's syntax the way re2js parses it (throws re2js' error on an
 * invalid mask) and reads it with the analyser. Done once per mask shape
 * (mask-shape.ts): a mask whose shape was already accepted is not parsed
 * again. A shape refused once is checked again for each of its masks, so
 * the error thrown names that mask.
 */
export function checkMaskSyntax(mask: string): MaskSyntax {
  const shape = maskShape(mask);
  const known = verdicts.get(shape);
  if (known) return known;
  const verdict = readSyntax(mask);
  if (verdicts.size >= SHAPE_CACHE_LIMIT) verdicts.clear();
  verdicts.set(shape, verdict);
  return verdict;
}

/** The same verdict, read from this mask alone (the reference of the per-shape check). */
export function readSyntax(mask: string): MaskSyntax {
  new RE2Set().add(mask);
  try {
    return { readable: true, groupNames: namedGroupsOf(parseMask(mask)) };
  } catch (error) {
    if (error instanceof MaskSyntaxUnsupported) return UNREADABLE;
    throw error;
  }
}

const UNREADABLE: MaskSyntax = Object.freeze({ readable: false, groupNames: Object.freeze([]) });
const SHAPE_CACHE_LIMIT = 10_000;
const verdicts = new Map<string, MaskSyntax>();
