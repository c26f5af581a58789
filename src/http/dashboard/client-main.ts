/**
 * Browser script, part 4: failures, dead letters and unrouted files with
 * their retry buttons, the explain box, and the wiring (window, token,
 * refresh every 15 s).
 */
export const CLIENT_MAIN = String.raw`
function clip(text, max) { return text.length <= max ? text : text.slice(0, max - 1) + '…'; }

function retryButton(label, path, body) {
  var button = el('button', { type: 'button', 'class': 'retry', text: label });
  button.addEventListener('click', function () {
    if (view.tokenRequired && !token()) {
      toast('Enter the token first: retrying needs it.', true);
      $('token').focus();
      return;
    }
    button.disabled = true;
    api(path, { method: 'POST', body: body }).then(function (answer) {
      var state = answer.delivery ? answer.delivery.state : answer.outcome;
      toast('Retried: ' + answer.outcome + (answer.delivery ? ' (delivery is now ' + state + ')' : '') +
        (answer.error ? ' — ' + answer.error.code + ': ' + answer.error.message : ''), Boolean(answer.error));
      return refreshAll();
    }, function (error) {
      button.disabled = false;
      toast('Retry refused: ' + error.message, true);
    });
  });
  return button;
}

function loadFailures(more) {
  if (!more) view.failuresCursor = null;
  return api('/api/failures' + query({ cursor: more ? view.failuresCursor : null })).then(function (page) {
    var body = $('failures').tBodies[0];
    if (!more) clear(body);
    page.items.forEach(function (d) {
      body.appendChild(deliveryRow(d, [
        el('td', { text: time(d.updatedAt) }),
        el('td', { 'class': 'mono nowrap', title: d.source, text: d.name }),
        el('td', { text: d.route }),
        el('td', { 'class': 'nowrap' }, [badge(d.state), ' ', el('span', { 'class': 'muted', text: d.attempts + '×' })]),
        el('td', { 'class': 'error', title: d.error ? d.error.message : '', text: d.error ? d.error.code + ': ' + clip(d.error.message, 160) : '' }),
        el('td', {}, d.retryable ? retryButton('Retry', '/api/deliveries/' + encodeURIComponent(d.id) + '/retry', {}) :
          d.state === 'failed' && d.timeline.nextAttempt ? el('span', { 'class': 'muted', text: 'next ' + time(d.timeline.nextAttempt).slice(11, 19) }) : null),
      ]));
    });
    if (!body.rows.length) body.appendChild(el('tr', {}, el('td', { colspan: 6, 'class': 'muted', text: 'No failures.' })));
    view.failuresCursor = page.nextCursor || null;
    $('failures-more').hidden = !view.failuresCursor;
  }, failed('failures'));
}

function loadUnrouted(more) {
  if (!more) view.unroutedCursor = null;
  return api('/api/unrouted' + query({ cursor: more ? view.unroutedCursor : null })).then(function (page) {
    var body = $('unrouted').tBodies[0];
    if (!more) clear(body);
    page.items.forEach(function (u) {
      body.appendChild(el('tr', { 'data-unrouted': u.source }, [
        el('td', { text: time(u.lastSeenAt) }),
        el('td', { 'class': 'mono', title: 'first seen ' + time(u.firstSeenAt), text: u.source }),
        el('td', { 'class': 'num', text: bytes(u.size) }),
        el('td', { 'class': 'muted', text: u.reason }),
        el('td', {}, retryButton('Route again', '/api/unrouted/retry', { source: u.source })),
      ]));
    });
    if (!body.rows.length) body.appendChild(el('tr', {}, el('td', { colspan: 5, 'class': 'muted', text: 'No unrouted files.' })));
    view.unroutedCursor = page.nextCursor || null;
    $('unrouted-more').hidden = !view.unroutedCursor;
  }, failed('unrouted files'));
}

function explainBox(event) {
  event.preventDefault();
  var input = $('explain-input').value.trim();
  var out = clear($('explain-result'));
  if (!input) return;
  api('/api/explain' + query({ file: input })).then(function (answer) {
    if (!answer.results.length) {
      out.appendChild(el('p', { 'class': 'explain-result none', text: 'No row of any source bucket (' + answer.sources.join(', ') + ') matches this file name: it would stay where it lands, recorded as unrouted.' }));
      return;
    }
    answer.results.forEach(function (r) {
      var box = el('div', { 'class': 'explain-result', 'data-source': r.source }, [
        el('div', {}, [el('b', { 'class': 'mono', text: r.source }), ' ', el('span', { 'class': 'muted', text: r.exists ? '(exists)' : '(not there now)' })]),
      ]);
      if (r.note) box.appendChild(el('div', { 'class': 'muted', text: r.note }));
      if (!r.matches.length) box.appendChild(el('div', { text: 'No row matches: it would be recorded as unrouted.' }));
      box.appendChild(el('ul', {}, r.matches.map(function (m) {
        return el('li', { 'data-route': m.route }, [
          el('b', { text: m.route }), ' (' + m.file + ':' + m.line + ', mask ', el('span', { 'class': 'mono', text: m.mask }), ') → ',
          el('span', { 'class': 'mono destination', text: m.destination }), ' ', el('span', { 'class': 'muted', text: m.action + ', on conflict ' + m.onConflict }),
        ]);
      }).concat(r.refused.map(function (x) {
        return el('li', { 'class': 'error' }, x.route + ' refused: ' + x.code + ': ' + x.message);
      }))));
      out.appendChild(box);
    });
  }, function (error) { out.appendChild(el('p', { 'class': 'error', text: error.message })); });
}

function refreshAll() {
  return Promise.all([loadSummary(), loadRoutes(), loadFlows(), loadDeliveries(false), loadFailures(false), loadUnrouted(false)]);
}

function refreshLive() {
  return Promise.all([loadSummary(), loadRoutes(), loadFlows()]);
}

function start() {
  $('token').value = token();
  $('token-form').addEventListener('submit', function (event) {
    event.preventDefault();
    saveToken($('token').value.trim());
    loadSummary();
  });
  $('window').addEventListener('change', function () { view.window = $('window').value; refreshLive(); });
  $('refresh').addEventListener('click', function () { refreshAll(); });
  Array.prototype.forEach.call(document.querySelectorAll('#measure button'), function (button) {
    button.addEventListener('click', function () {
      view.measure = button.getAttribute('data-measure');
      Array.prototype.forEach.call(document.querySelectorAll('#measure button'), function (b) { b.className = b === button ? 'on' : ''; });
      drawFlows($('flows'), view.flows, view.measure, $('flows-caption'));
    });
  });
  $('search-form').addEventListener('submit', function (event) {
    event.preventDefault();
    view.search = $('search').value.trim();
    view.states = $('state-filter').value;
    loadDeliveries(false);
  });
  $('deliveries-more').addEventListener('click', function () { loadDeliveries(true); });
  $('failures-more').addEventListener('click', function () { loadFailures(true); });
  $('unrouted-more').addEventListener('click', function () { loadUnrouted(true); });
  $('explain-form').addEventListener('submit', explainBox);
  refreshAll().then(function () { document.body.setAttribute('data-ready', 'true'); });
  setInterval(function () { if (!document.hidden) refreshLive(); }, 15000);
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
`;
