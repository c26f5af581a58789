/** The dashboard's stylesheet (served as /assets/dashboard.css). */
export const DASHBOARD_CSS = `
:root {
  --bg: #f5f6f8; --panel: #fff; --ink: #1d2430; --muted: #6b7485; --line: #e2e5ea;
  --ok: #1f8a4c; --busy: #2f6fd6; --warn: #c77800; --bad: #c93434; --accent: #3b5bdb;
  font: 13px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink); }
header { display: flex; align-items: center; gap: 14px; padding: 8px 18px; background: #1d2430; color: #fff; flex-wrap: wrap; }
header h1 { font-size: 17px; margin: 0 10px 0 0; letter-spacing: .5px; }
header .muted { color: #aab3c3; }
header select, header input { font: inherit; padding: 3px 6px; border-radius: 4px; border: 1px solid #4a5465; background: #2a3342; color: #fff; }
.token { margin-left: auto; display: flex; gap: 6px; align-items: center; }
.token input { width: 200px; }
button { font: inherit; padding: 3px 10px; border-radius: 4px; border: 1px solid #b9c0cc; background: #fff; color: var(--ink); cursor: pointer; }
button:hover { border-color: var(--accent); }
header button { background: #2a3342; color: #fff; border-color: #4a5465; }
button.retry { border-color: var(--accent); color: var(--accent); }
main { padding: 12px 18px 30px; }
.muted { color: var(--muted); font-weight: normal; }
.cards { display: grid; grid-template-columns: repeat(7, 1fr); gap: 10px; margin-bottom: 12px; }
.card { background: var(--panel); border: 1px solid var(--line); border-left: 4px solid var(--line); border-radius: 6px; padding: 8px 12px; display: flex; flex-direction: column; }
.card .value { font-size: 22px; font-weight: 600; font-variant-numeric: tabular-nums; }
.card .label { color: var(--muted); font-size: 12px; }
.card.ok { border-left-color: var(--ok); } .card.busy { border-left-color: var(--busy); }
.card.warn { border-left-color: var(--warn); } .card.bad { border-left-color: var(--bad); }
.grid { display: grid; grid-template-columns: minmax(0, 4fr) minmax(0, 6fr); gap: 12px; margin-bottom: 12px; }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 10px 14px; position: relative; margin-bottom: 12px; min-width: 0; }
.grid.bottom { grid-template-columns: minmax(0, 6fr) minmax(0, 4fr); }
.grid .panel { margin-bottom: 0; }
h2 { font-size: 14px; margin: 0 0 8px; } h3 { font-size: 13px; margin: 14px 0 6px; }
#routes-panel { display: flex; flex-direction: column; }
.scroll { flex: 1 1 0; min-height: 260px; overflow: auto; }
table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
th { white-space: nowrap; text-align: left; font-weight: 600; color: var(--muted); font-size: 12px; border-bottom: 1px solid var(--line); padding: 4px 6px; position: sticky; top: 0; background: var(--panel); }
td { border-bottom: 1px solid var(--line); padding: 4px 6px; vertical-align: top; }
td.num, th.num { text-align: right; white-space: nowrap; }
td.mono, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; overflow-wrap: anywhere; }
.nowrap { white-space: nowrap; }
tr.idle td { color: var(--muted); background: #fbfbf3; }
tr.clickable { cursor: pointer; } tr.clickable:hover td { background: #f0f3fb; }
.badge { display: inline-block; padding: 0 6px; border-radius: 9px; font-size: 11px; font-weight: 600; background: #eceff3; color: var(--muted); white-space: nowrap; }
.badge.done { background: #e3f4ea; color: var(--ok); } .badge.failed { background: #fdf1df; color: var(--warn); }
.badge.dead, .badge.gone { background: #fbe5e5; color: var(--bad); } .badge.idle { background: #f6f1d9; color: #8a6d00; }
.badge.planned, .badge.written, .badge.verified { background: #e5edfb; color: var(--busy); }
.switch { position: absolute; top: 8px; right: 12px; }
.switch button { border-radius: 0; padding: 1px 8px; font-size: 12px; } .switch button:first-child { border-radius: 4px 0 0 4px; }
.switch button:last-child { border-radius: 0 4px 4px 0; border-left: none; } .switch button.on { background: var(--accent); color: #fff; border-color: var(--accent); }
#flows { width: 100%; display: block; }
#flows text { font-size: 11px; fill: var(--ink); } #flows text.sub { fill: var(--muted); font-size: 10px; }
#flows path.link { fill-opacity: .35; } #flows path.link:hover { fill-opacity: .6; }
#flows .empty { fill: var(--muted); font-size: 13px; }
.search { display: flex; gap: 6px; margin-bottom: 8px; }
.search input { flex: 1; font: inherit; padding: 4px 8px; border: 1px solid #b9c0cc; border-radius: 4px; }
.search select { font: inherit; }
.detail td { background: #f8f9fb; }
.timeline { display: flex; gap: 0; margin: 4px 0 6px; flex-wrap: wrap; }
.step { padding: 3px 10px 3px 0; margin-right: 10px; border-right: 1px solid var(--line); }
.step b { display: block; font-size: 11px; color: var(--muted); font-weight: 600; } .step.missing { color: var(--muted); }
.error { color: var(--bad); }
.kv { display: grid; grid-template-columns: 110px 1fr; gap: 2px 10px; }
.kv span:nth-child(odd) { color: var(--muted); }
.explain-result { border-top: 1px solid var(--line); padding: 6px 0; }
.explain-result ul { margin: 4px 0; padding-left: 18px; }
#toast { position: fixed; right: 18px; bottom: 18px; background: #1d2430; color: #fff; padding: 8px 14px; border-radius: 6px; max-width: 480px; z-index: 5; }
#toast.error { background: var(--bad); }
`;
