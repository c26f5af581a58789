/**
 * Browser script, part 3: the summary cards, the referential with its match
 * counts, and recent deliveries (search, keyset paging, timeline details).
 */
export const CLIENT_PANELS = String.raw`
var view = { window: '24h', measure: 'files', flows: [], search: '', states: '', cursor: null, failuresCursor: null, unroutedCursor: null, tokenRequired: false };

function loadSummary() {
  return api('/api/summary').then(function (s) {
    var c = s.counts.byState;
    view.tokenRequired = s.tokenRequired;
    var set = function (name, value) { document.querySelector('[data-count="' + name + '"]').textContent = value; };
    set('done', count(c.done));
    set('in-progress', count(c.planned + c.written + c.verified));
    set('failed', count(c.failed));
    set('dead', count(c.dead));
    set('unrouted', count(s.counts.unrouted));
    set('oldest-unrouted', s.counts.oldestUnroutedAt ? age(s.now - s.counts.oldestUnroutedAt) : '–');
    $('updated').textContent = 'updated ' + time(s.now);
    $('token-state').textContent = !s.tokenRequired ? 'no token configured (loopback)' : s.authenticated ? 'token accepted' : token() ? 'token rejected' : 'read-only';
  }, failed('summary'));
}

function loadRoutes() {
  return api('/api/routes' + query({ window: view.window })).then(function (r) {
    var body = clear($('routes').tBodies[0]);
    r.routes.forEach(function (route) {
      var st = route.stats;
      var idle = st.deliveries === 0;
      body.appendChild(el('tr', { 'class': idle ? 'idle' : null, 'data-route': route.id }, [
        el('td', { title: route.file + ':' + route.line }, [route.id, route.enabled ? null : el('span', { 'class': 'badge', text: 'disabled' })]),
        el('td', {}, [el('div', { 'class': 'mono', text: route.source }), el('div', { 'class': 'mono muted', title: 'mask (RE2, searched in the file name)', text: route.mask })]),
        el('td', { 'class': 'mono', title: route.action + ', on conflict: ' + route.onConflict, text: route.destination }),
        el('td', { 'class': 'num', 'data-col': 'matched' }, idle ? el('span', { 'class': 'badge idle', text: 'no match' }) : count(st.deliveries)),
        el('td', { 'class': 'num', 'data-col': 'done', text: count(st.done) }),
        el('td', { 'class': 'num', 'data-col': 'failed', text: count(st.failed) }),
        el('td', { 'class': 'num', 'data-col': 'dead', text: count(st.dead) }),
        el('td', { 'class': 'num', text: bytes(st.bytes) }),
        el('td', { 'class': 'nowrap', title: st.lastAt ? time(st.lastAt) : '', text: st.lastAt ? shortTime(st.lastAt, r.now) : '' }),
      ]));
    });
    r.others.forEach(function (st) {
      body.appendChild(el('tr', { 'data-route': st.routeId, title: 'not a row of the current referential' }, [
        el('td', { 'class': 'muted', text: st.routeId }), el('td'), el('td', { 'class': 'muted', text: '(not in the referential)' }),
        el('td', { 'class': 'num', 'data-col': 'matched', text: count(st.deliveries) }), el('td', { 'class': 'num', text: count(st.done) }),
        el('td', { 'class': 'num', text: count(st.failed) }), el('td', { 'class': 'num', text: count(st.dead) }),
        el('td', { 'class': 'num', text: bytes(st.bytes) }), el('td', { 'class': 'nowrap', text: st.lastAt ? shortTime(st.lastAt, r.now) : '' }),
      ]));
    });
    document.querySelector('[data-count="idle-routes"]').textContent = count(r.unmatched.length);
    $('routes-caption').textContent = r.routes.length + ' rows, ' + r.unmatched.length + ' matched nothing in the window';
  }, failed('referential'));
}

function shortTime(ms, now) {
  var t = time(ms);
  return now - ms < 86400000 ? t.slice(11, 16) : t.slice(5, 10);
}

function loadFlows() {
  return api('/api/flows' + query({ window: view.window })).then(function (r) {
    view.flows = r.flows;
    drawFlows($('flows'), view.flows, view.measure, $('flows-caption'));
  }, failed('flows'));
}

function deliveryRow(d, columns) {
  var row = el('tr', { 'class': 'clickable', 'data-delivery': d.id, title: 'show the timeline' });
  columns.forEach(function (cell) { row.appendChild(cell); });
  row.addEventListener('click', function (event) {
    if (event.target.tagName === 'BUTTON') return;
    var next = row.nextSibling;
    if (next && next.className === 'detail') { next.parentNode.removeChild(next); return; }
    row.parentNode.insertBefore(el('tr', { 'class': 'detail' }, el('td', { colspan: row.cells.length }, details(d))), row.nextSibling);
  });
  return row;
}

function details(d) {
  var steps = [['received', d.timeline.received], ['written', d.timeline.written], ['verified', d.timeline.verified],
    ['done', d.timeline.done], ['source deleted', d.action === 'move' ? d.timeline.sourceDeleted : null]];
  var line = el('div', { 'class': 'timeline' }, steps.map(function (s) {
    var text = s[1] ? time(s[1]) : s[0] === 'source deleted' && d.action !== 'move' ? 'kept (copy)' :
      (s[0] === 'written' || s[0] === 'verified') && d.timeline.done ? 'with done' : '—';
    return el('div', { 'class': 'step' + (s[1] ? '' : ' missing'), 'data-step': s[0] }, [el('b', { text: s[0] }), text]);
  }));
  var kv = el('div', { 'class': 'kv' }, [
    el('span', { text: 'source' }), el('span', { 'class': 'mono', text: d.source + ' (generation ' + d.generation + ')' }),
    el('span', { text: 'destination' }), el('span', { 'class': 'mono', text: d.destination }),
    el('span', { text: 'crc32c' }), el('span', { 'class': 'mono', 'data-field': 'crc32c', text: d.crc32c || (d.timeline.done ? 'not computed (no bytes read)' : '—') }),
    el('span', { text: 'size' }), el('span', { text: count(d.size) + ' bytes' }),
    el('span', { text: 'attempts' }), el('span', { text: String(d.attempts) + (d.timeline.nextAttempt ? ', next at ' + time(d.timeline.nextAttempt) : '') }),
    el('span', { text: 'delivery id' }), el('span', { 'class': 'mono', text: d.id }),
  ]);
  if (d.error) append(kv, [el('span', { text: 'reason' }), el('span', { 'class': 'error', text: d.error.code + ': ' + d.error.message })]);
  return [line, kv];
}

function loadDeliveries(more) {
  if (!more) view.cursor = null;
  var params = { q: view.search, state: view.states, cursor: more ? view.cursor : null };
  return api('/api/deliveries' + query(params)).then(function (page) {
    var body = $('deliveries').tBodies[0];
    if (!more) clear(body);
    page.items.forEach(function (d) {
      body.appendChild(deliveryRow(d, [
        el('td', { text: time(d.updatedAt) }),
        el('td', { 'class': 'mono', title: d.source, text: d.name }),
        el('td', { text: d.route }),
        el('td', { 'class': 'mono', text: d.destination }),
        el('td', {}, badge(d.state)),
        el('td', { 'class': 'num', text: bytes(d.size) }),
      ]));
    });
    view.cursor = page.nextCursor || null;
    $('deliveries-more').hidden = !view.cursor;
    var note = '';
    if (view.search && view.cursor && page.items.length < 50) {
      note = 'Each search page looks at ' + count(page.scanLimit) + ' deliveries, newest first; "Load more" searches older ones.';
    }
    if (!body.rows.length && !view.cursor) note = view.search ? 'No delivery matches.' : 'No deliveries yet.';
    $('deliveries-note').textContent = note;
  }, failed('deliveries'));
}
`;
