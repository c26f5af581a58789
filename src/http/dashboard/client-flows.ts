/**
 * Browser script, part 2: the flow picture. Source buckets on the left,
 * destination buckets on the right, one band per (source, destination) whose
 * thickness is its share of files or bytes; a plain two-column Sankey drawn
 * in SVG.
 */
export const CLIENT_FLOWS = String.raw`
var PALETTE = ['#3b5bdb', '#1f8a4c', '#c77800', '#9c36b5', '#0b7285', '#c93434', '#5c940d', '#d6336c', '#495057', '#e8590c'];

function flowNodes(flows, side, measure) {
  var nodes = {};
  flows.forEach(function (f) {
    var key = side === 'source' ? f.sourceProject + '/' + f.sourceBucket : f.destinationProject + '/' + f.destinationBucket;
    var node = nodes[key] || (nodes[key] = { key: key, value: 0, files: 0, bytes: 0, offset: 0 });
    node.value += f[measure];
    node.files += f.files;
    node.bytes += f.bytes;
  });
  return Object.keys(nodes).map(function (k) { return nodes[k]; }).sort(function (a, b) { return b.value - a.value || (a.key < b.key ? -1 : 1); });
}

function drawFlows(svg, flows, measure, caption) {
  clear(svg);
  var W = 500, top = 10, gap = 12, nodeW = 12, left = 118, right = W - 118 - nodeW;
  flows = flows.filter(function (f) { return f[measure] > 0; });
  var sources = flowNodes(flows, 'source', measure);
  var dests = flowNodes(flows, 'destination', measure);
  var rows = Math.max(sources.length, dests.length, 1);
  var H = Math.max(240, Math.min(560, rows * 64 + top * 2));
  svg.setAttribute('viewBox', '0 0 ' + W + ' ' + H);
  if (flows.length === 0) {
    svg.appendChild(svgEl('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', 'class': 'empty', text: 'nothing delivered in this window' }));
    return;
  }
  var total = flows.reduce(function (n, f) { return n + f[measure]; }, 0);
  var usable = function (n) { return H - top * 2 - gap * (n - 1) - 2 * n; };
  var scale = Math.min(usable(sources.length), usable(dests.length)) / total;
  var place = function (nodes) {
    var used = nodes.reduce(function (n, node) { return n + Math.max(2, node.value * scale); }, 0) + gap * (nodes.length - 1);
    var y = top + Math.max(0, (H - top * 2 - used) / 2);
    nodes.forEach(function (node) {
      node.y = y;
      node.h = Math.max(2, node.value * scale);
      y += node.h + gap;
    });
  };
  place(sources);
  place(dests);
  var byKey = {};
  var colour = {};
  sources.forEach(function (s, i) { byKey['s:' + s.key] = s; colour[s.key] = PALETTE[i % PALETTE.length]; });
  dests.forEach(function (d) { byKey['d:' + d.key] = d; });
  var links = svgEl('g');
  flows.slice().sort(function (a, b) {
    var sa = byKey['s:' + a.sourceProject + '/' + a.sourceBucket], sb = byKey['s:' + b.sourceProject + '/' + b.sourceBucket];
    var da = byKey['d:' + a.destinationProject + '/' + a.destinationBucket], db = byKey['d:' + b.destinationProject + '/' + b.destinationBucket];
    return sa.y - sb.y || da.y - db.y;
  }).forEach(function (f) {
    var s = byKey['s:' + f.sourceProject + '/' + f.sourceBucket];
    var d = byKey['d:' + f.destinationProject + '/' + f.destinationBucket];
    var h = Math.max(1, f[measure] * scale);
    var y0 = s.y + s.offset, y1 = d.y + d.offset;
    s.offset += h;
    d.offset += h;
    var x0 = left + nodeW, x1 = right, mx = (x0 + x1) / 2;
    var path = 'M' + x0 + ',' + y0 + ' C' + mx + ',' + y0 + ' ' + mx + ',' + y1 + ' ' + x1 + ',' + y1 +
      ' L' + x1 + ',' + (y1 + h) + ' C' + mx + ',' + (y1 + h) + ' ' + mx + ',' + (y0 + h) + ' ' + x0 + ',' + (y0 + h) + ' Z';
    links.appendChild(svgEl('path', { d: path, 'class': 'link', fill: colour[s.key], 'data-flow': s.key + ' -> ' + d.key }, [
      svgEl('title', { text: s.key + ' → ' + d.key + ': ' + count(f.files) + ' files, ' + bytes(f.bytes) }),
    ]));
  });
  svg.appendChild(links);
  var label = function (node, x, anchor, fill) {
    var g = svgEl('g', { 'data-node': node.key });
    g.appendChild(svgEl('rect', { x: anchor === 'end' ? left : right, y: node.y, width: nodeW, height: node.h, fill: fill, rx: 2 }));
    var mid = node.y + node.h / 2;
    g.appendChild(svgEl('text', { x: x, y: mid - 1, 'text-anchor': anchor, text: shorten(node.key, 22) }, [svgEl('title', { text: node.key })]));
    g.appendChild(svgEl('text', { x: x, y: mid + 11, 'text-anchor': anchor, 'class': 'sub', text: count(node.files) + ' files · ' + bytes(node.bytes) }));
    svg.appendChild(g);
  };
  sources.forEach(function (s) { label(s, left - 6, 'end', colour[s.key]); });
  dests.forEach(function (d) { label(d, right + nodeW + 6, 'start', '#6b7485'); });
  caption.textContent = count(flows.reduce(function (n, f) { return n + f.files; }, 0)) + ' files, ' +
    bytes(flows.reduce(function (n, f) { return n + f.bytes; }, 0)) + ' delivered';
}
`;
