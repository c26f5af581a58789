/** The dashboard's one HTML page: a skeleton the script fills from `/api/...`. */
export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>switchyard</title>
<link rel="stylesheet" href="/assets/dashboard.css">
<script src="/assets/dashboard.js" defer></script>
</head>
<body>
<header>
  <h1>switchyard</h1>
  <label class="window">window
    <select id="window">
      <option value="1h">last hour</option>
      <option value="6h">last 6 hours</option>
      <option value="24h" selected>last 24 hours</option>
      <option value="7d">last 7 days</option>
      <option value="30d">last 30 days</option>
      <option value="all">all time</option>
    </select>
  </label>
  <button id="refresh" type="button">Refresh</button>
  <span id="updated" class="muted"></span>
  <form id="token-form" class="token">
    <input id="token" type="password" placeholder="token (needed to retry)" autocomplete="off" spellcheck="false">
    <button type="submit">Use token</button>
    <span id="token-state" class="muted"></span>
  </form>
</header>
<div id="toast" role="status" hidden></div>
<main>
  <section class="cards" id="cards">
    <div class="card ok"><span class="value" data-count="done">–</span><span class="label">done</span></div>
    <div class="card busy"><span class="value" data-count="in-progress">–</span><span class="label">in progress</span></div>
    <div class="card warn"><span class="value" data-count="failed">–</span><span class="label">failed, will retry</span></div>
    <div class="card bad"><span class="value" data-count="dead">–</span><span class="label">dead letters</span></div>
    <div class="card warn"><span class="value" data-count="unrouted">–</span><span class="label">unrouted files</span></div>
    <div class="card"><span class="value" data-count="oldest-unrouted">–</span><span class="label">oldest unrouted</span></div>
    <div class="card"><span class="value" data-count="waiting">–</span><span class="label">waiting groups</span></div>
    <div class="card"><span class="value" data-count="oldest-waiting">–</span><span class="label">oldest waiting</span></div>
    <div class="card"><span class="value" data-count="idle-routes">–</span><span class="label">rows with no match in window</span></div>
  </section>
  <div class="grid">
    <section class="panel" id="flows-panel">
      <h2>What went where <small id="flows-caption" class="muted"></small></h2>
      <div class="switch" id="measure">
        <button type="button" data-measure="files" class="on">files</button><button type="button" data-measure="bytes">bytes</button>
      </div>
      <div id="flows-box"><svg id="flows" role="img" aria-label="source buckets to destinations"></svg></div>
    </section>
    <section class="panel" id="routes-panel">
      <h2>Referential <small id="routes-caption" class="muted"></small></h2>
      <div class="scroll">
        <table id="routes">
          <thead><tr><th>row</th><th>source · mask</th><th>destination</th><th class="num">matched</th><th class="num">done</th><th class="num">failed</th><th class="num">dead</th><th class="num">bytes</th><th>last</th></tr></thead>
          <tbody></tbody>
        </table>
      </div>
    </section>
  </div>
  <section class="panel" id="deliveries-panel">
    <h2>Recent deliveries</h2>
    <form id="search-form" class="search">
      <input id="search" type="search" placeholder="file name contains…" spellcheck="false">
      <select id="state-filter">
        <option value="">any state</option>
        <option value="done">done</option>
        <option value="failed">failed</option>
        <option value="dead">dead</option>
        <option value="planned,written,verified">in progress</option>
        <option value="gone,superseded">gone / superseded</option>
      </select>
      <button type="submit">Search</button>
    </form>
    <table id="deliveries">
      <thead><tr><th>updated</th><th>file</th><th>route</th><th>destination</th><th>state</th><th class="num">size</th></tr></thead>
      <tbody></tbody>
    </table>
    <p id="deliveries-note" class="muted"></p>
    <button id="deliveries-more" type="button" hidden>Load more</button>
  </section>
  <div class="grid bottom">
    <section class="panel" id="failures-panel">
      <h2>Failures and dead letters</h2>
      <table id="failures">
        <thead><tr><th>updated</th><th>file</th><th>route</th><th>state</th><th>reason</th><th></th></tr></thead>
        <tbody></tbody>
      </table>
      <button id="failures-more" type="button" hidden>Load more</button>
      <h3>Unrouted files</h3>
      <table id="unrouted">
        <thead><tr><th>last seen</th><th>file</th><th class="num">size</th><th>reason</th><th></th></tr></thead>
        <tbody></tbody>
      </table>
      <button id="unrouted-more" type="button" hidden>Load more</button>
    </section>
    <section class="panel" id="explain-panel">
      <h2>Explain</h2>
      <form id="explain-form" class="search">
        <input id="explain-input" type="text" placeholder="file name, or PROJECT/BUCKET/KEY" spellcheck="false">
        <button id="explain-button" type="submit">Explain</button>
      </form>
      <div id="explain-result"></div>
    </section>
  </div>
</main>
</body>
</html>
`;
