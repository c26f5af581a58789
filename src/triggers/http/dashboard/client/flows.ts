import type { FlowsAnswer, FlowView } from '../api-types.js';
import { queryString } from './api.js';
import { byId, clear, svgEl } from './dom.js';
import { layoutFlows, LEFT, NODE_WIDTH, RIGHT, WIDTH, type FlowNode } from './flow-layout.js';
import { bytes, count, shorten } from './format.js';
import { view, type Measure } from './state.js';
import { load } from './toast.js';

const PALETTE = [
  '#3b5bdb',
  '#1f8a4c',
  '#c77800',
  '#9c36b5',
  '#0b7285',
  '#c93434',
  '#5c940d',
  '#d6336c',
  '#495057',
  '#e8590c',
] as const;
const DESTINATION_FILL = '#6b7485';

/** "What went where": the flows of the window, as files or bytes. */
export async function loadFlows(): Promise<void> {
  const answer = await load<FlowsAnswer>('flows', `/api/flows${queryString({ window: view.window })}`);
  if (!answer) return;
  view.flows = answer.flows;
  redrawFlows();
}

/** Draws the flows last loaded again (after the measure changed). */
export function redrawFlows(): void {
  drawFlows(byId('flows', SVGSVGElement), view.flows, view.measure, byId('flows-caption', HTMLElement));
}

function drawFlows(
  svg: SVGSVGElement,
  flows: readonly FlowView[],
  measure: Measure,
  caption: HTMLElement,
): void {
  clear(svg);
  const layout = layoutFlows(flows, measure);
  svg.setAttribute('viewBox', `0 0 ${WIDTH} ${layout.height}`);
  caption.textContent = `${count(layout.files)} files, ${bytes(layout.bytes)} delivered`;
  if (layout.bands.length === 0) {
    svg.appendChild(
      svgEl('text', {
        x: WIDTH / 2,
        y: layout.height / 2,
        'text-anchor': 'middle',
        class: 'empty',
        text: 'nothing delivered in this window',
      }),
    );
    return;
  }
  const colour = new Map(layout.sources.map((s, i) => [s, PALETTE[i % PALETTE.length]]));
  const links = svgEl('g');
  for (const band of layout.bands) {
    const x0 = LEFT + NODE_WIDTH;
    const x1 = RIGHT;
    const mx = (x0 + x1) / 2;
    const { y0, y1, height: h } = band;
    const d =
      `M${x0},${y0} C${mx},${y0} ${mx},${y1} ${x1},${y1}` +
      ` L${x1},${y1 + h} C${mx},${y1 + h} ${mx},${y0 + h} ${x0},${y0 + h} Z`;
    const { source, destination, flow } = band;
    links.appendChild(
      svgEl(
        'path',
        { d, class: 'link', fill: colour.get(source), 'data-flow': `${source.key} -> ${destination.key}` },
        svgEl('title', {
          text: `${source.key} → ${destination.key}: ${count(flow.files)} files, ${bytes(flow.bytes)}`,
        }),
      ),
    );
  }
  svg.appendChild(links);
  for (const source of layout.sources) svg.appendChild(label(source, 'end', colour.get(source)));
  for (const destination of layout.destinations)
    svg.appendChild(label(destination, 'start', DESTINATION_FILL));
}

/** A bucket's bar with its name and numbers: sources right-aligned left of their bar, destinations after theirs. */
function label(node: FlowNode, anchor: 'start' | 'end', fill: string | undefined): SVGGElement {
  const x = anchor === 'end' ? LEFT - 6 : RIGHT + NODE_WIDTH + 6;
  const mid = node.y + node.height / 2;
  const g = svgEl('g', { 'data-node': node.key });
  g.appendChild(
    svgEl('rect', {
      x: anchor === 'end' ? LEFT : RIGHT,
      y: node.y,
      width: NODE_WIDTH,
      height: node.height,
      fill,
      rx: 2,
    }),
  );
  g.appendChild(
    svgEl(
      'text',
      { x, y: mid - 1, 'text-anchor': anchor, text: shorten(node.key, 22) },
      svgEl('title', { text: node.key }),
    ),
  );
  g.appendChild(
    svgEl('text', {
      x,
      y: mid + 11,
      'text-anchor': anchor,
      class: 'sub',
      text: `${count(node.files)} files · ${bytes(node.bytes)}`,
    }),
  );
  return g;
}
