/** The page's own stylesheet (constant: nothing from a run goes in here). */
export const PAGE_CSS = `
:root { --pass: #1a7f37; --fail: #cf222e; --skip: #9a6700; --muted: #57606a; --line: #d0d7de; --bg2: #f6f8fa; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; max-width: 1200px; padding: 16px 24px 64px; color: #1f2328; }
h1 { font-size: 20px; margin: 8px 0 4px; word-break: break-word; }
h1.mono { font-size: 18px; }
h2 { font-size: 16px; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
a { color: #0969da; }
nav { display: flex; gap: 16px; padding-bottom: 8px; border-bottom: 1px solid var(--line); }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 3px 8px; border-bottom: 1px solid #eaeef2; vertical-align: top; }
th { background: var(--bg2); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
code, pre, .mono { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12.5px; }
pre { background: var(--bg2); padding: 8px; overflow: auto; max-height: 480px; white-space: pre-wrap; word-break: break-all; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; word-break: break-word; }
.verdict { font-size: 15px; padding: 8px 12px; border-radius: 6px; background: var(--bg2); border-left: 4px solid var(--muted); }
.verdict.bad { border-color: var(--fail); background: #ffebe9; }
.verdict.good { border-color: var(--pass); background: #dafbe1; }
.label { display: inline-block; padding: 0 6px; border-radius: 10px; font-size: 12px; font-weight: 600; white-space: nowrap; }
.l-regression, .l-new-event { background: #ffebe9; color: var(--fail); }
.l-fixed { background: #dafbe1; color: var(--pass); }
.l-still-failing { background: #fff1e5; color: #bc4c00; }
.l-flaky, .l-known-flaky { background: #fff8c5; color: var(--skip); }
.l-new-skip, .l-not-run, .l-added, .l-removed, .l-changed, .l-event-gone { background: #ddf4ff; color: #0969da; }
.s-pass, .s-xfail, .s-xpass { color: var(--pass); }
.s-fail, .s-crash, .s-timeout { color: var(--fail); font-weight: 600; }
.s-skip, .s-notrun { color: var(--skip); }
tr.changed { background: #fffbdd; }
tr.regressed { background: #fff0ee; }
.muted { color: var(--muted); }
details { margin: 6px 0; border: 1px solid var(--line); border-radius: 6px; padding: 4px 8px; }
details > summary { cursor: pointer; font-weight: 600; }
.logsearch { margin: 6px 0; display: flex; gap: 8px; align-items: center; }
.logsearch input { flex: 1; max-width: 420px; padding: 3px 6px; }
mark { background: #fff8c5; }
form.filters { display: flex; gap: 12px; flex-wrap: wrap; align-items: end; margin: 12px 0; }
form.filters label { display: flex; flex-direction: column; font-size: 12px; color: var(--muted); }
svg text { font: 11px system-ui, sans-serif; fill: #1f2328; }
.repro { user-select: all; }
`;

/**
 * The page's own script (constant): live search in collapsed logs. Each log's full text stays in
 * its <pre>; typing filters its lines into a result list made of text nodes (never innerHTML).
 */
export const PAGE_JS = `
document.querySelectorAll('[data-logsearch]').forEach(function (box) {
  var input = box.querySelector('input');
  var count = box.querySelector('.count');
  var pre = document.getElementById(box.getAttribute('data-logsearch'));
  var out = document.getElementById(box.getAttribute('data-logsearch') + '-hits');
  if (!input || !pre || !out) return;
  var lines = null;
  input.addEventListener('input', function () {
    var q = input.value.toLowerCase();
    out.textContent = '';
    if (!q) { out.hidden = true; pre.hidden = false; count.textContent = ''; return; }
    if (!lines) lines = pre.textContent.split('\\n');
    var hits = 0;
    for (var i = 0; i < lines.length && hits < 2000; i++) {
      if (lines[i].toLowerCase().indexOf(q) < 0) continue;
      hits++;
      var row = document.createElement('div');
      var n = document.createElement('span');
      n.className = 'muted';
      n.textContent = String(i + 1).padStart(7, ' ') + '  ';
      row.appendChild(n);
      row.appendChild(document.createTextNode(lines[i]));
      out.appendChild(row);
    }
    count.textContent = hits + (hits >= 2000 ? '+' : '') + (hits === 1 ? ' matching line' : ' matching lines');
    out.hidden = false; pre.hidden = true;
  });
});
`;
