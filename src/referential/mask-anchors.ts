import { parseMask, type MaskNode } from './mask-syntax.js';

/**
 * The literal text every matching name must start with (`^abc`) and end with
 * (`abc$`), case-sensitive. Empty when the mask does not pin it (no anchor,
 * a class or a `(?i)` letter right after the anchor, an alternation at the
 * top, or syntax the analyser does not read).
 */
export interface MaskAnchors {
  prefix: string;
  suffix: string;
}

const NONE: MaskAnchors = { prefix: '', suffix: '' };

export function maskAnchors(mask: string): MaskAnchors {
  let node: MaskNode;
  try {
    node = parseMask(mask);
  } catch {
    return NONE;
  }
  const items = node.t === 'cat' ? node.items : [node];
  return { prefix: anchoredText(items, 'bot'), suffix: anchoredText([...items].reverse(), 'eot') };
}

function anchoredText(items: MaskNode[], anchor: 'bot' | 'eot'): string {
  const first = items[0];
  if (first?.t !== 'assert' || first.kind !== anchor) return '';
  const chars: string[] = [];
  for (const item of items.slice(1)) {
    if (item.t !== 'lit' || item.fold) break;
    chars.push(item.ch);
  }
  return (anchor === 'bot' ? chars : chars.reverse()).join('');
}

/**
 * False only when no name can match both masks: their anchored prefixes (or
 * suffixes) differ where both are pinned. True means "maybe".
 */
export function anchorsCompatible(a: MaskAnchors, b: MaskAnchors): boolean {
  const prefixes = a.prefix.startsWith(b.prefix) || b.prefix.startsWith(a.prefix);
  const suffixes = a.suffix.endsWith(b.suffix) || b.suffix.endsWith(a.suffix);
  return prefixes && suffixes;
}
