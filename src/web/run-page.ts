import { printable as m, printableLines } from '../history/printable.js';
import { changeRows, compactRows, headline } from '../report/changes.js';
import type { RunRecord } from '../report/record.js';
import type { KernelEvent } from '../results/types.js';
import { html, renderPage, type Node } from './html.js';
import { matrixRows, type MatrixRow } from './matrix.js';
import { reproduceCommand } from './reproduce.js';
import type { LogExcerpt, RunPageData } from './run-data.js';
import { barChart } from './svg.js';

/** Where links go: the static report has none of the server's pages. */
export interface Links {
  /** A test's history page. */
  test?: (name: string) => string;
  /** The .config download (default: a data: URL inside the page). */
  config?: string;
  /** Back to the run list. */
  home?: string;
}

const cls = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-');
const status = (s: string | undefined | null) =>
  s ? html`<span class=${`s-${s}`}>${s}</span>` : html`<span class="muted">–</span>`;
const ms = (n: number | undefined | null) =>
  n === undefined || n === null ? '' : n < 1000 ? `${n} ms` : `${(n / 1000).toFixed(1)} s`;
const testName = (name: string, links: Links) =>
  links.test ? html`<a href=${links.test(name)}>${name}</a>` : html`<span class="mono">${name}</span>`;

function header(r: RunRecord, links: Links): Node {
  const bad = r.comparison?.regressed || r.status === 'failed';
  return html`<header>
    ${links.home ? html`<nav><a href=${links.home}>runs</a><a href="/flaky">flaky tests</a></nav>` : null}
    <h1>${m(r.series.title)}</h1>
    <div class="muted mono">run ${r.id} · ${r.status}${r.exitCode !== undefined ? ` · exit ${r.exitCode}` : ''} · ${r.createdAt}</div>
    <p class=${`verdict ${bad ? 'bad' : r.status === 'complete' ? 'good' : ''}`}>${m(headline(r))}</p>
  </header>`;
}

function changesSection(r: RunRecord, links: Links): Node {
  if (!r.comparison) {
    return html`<section id="changes"><h2>Changes</h2>${r.error ? html`<pre>${printableLines([r.error.message, ...(r.error.details ?? [])].join('\n'))}</pre>` : html`<p class="muted">No comparison.</p>`}</section>`;
  }
  const rows = compactRows(changeRows(r.comparison));
  return html`<section id="changes"><h2>Changes (baseline → patched)</h2>
    ${
      rows.length === 0
        ? html`<p>No test changed between the baseline and the patched kernel.</p>`
        : html`<table class="changes">
      <thead><tr><th>change</th><th>test</th><th>baseline</th><th>patched</th><th>note</th></tr></thead>
      <tbody>${rows.map((x) => {
        const known = x.label === 'REGRESSION' ? r.knownFlaky?.find((k) => k.test === x.name) : undefined;
        const isTest = !['NEW EVENT', 'EVENT GONE'].includes(x.label) && !x.name.includes(' ');
        return html`<tr class=${x.label === 'REGRESSION' || x.label === 'NEW EVENT' ? 'regressed' : ''} data-change=${x.label}>
          <td><span class=${`label l-${cls(x.label)}`}>${x.label.toLowerCase()}</span>${known ? html` <span class="label l-known-flaky">${known.label}</span>` : null}</td>
          <td>${isTest ? testName(x.name, links) : x.name}</td><td>${x.baseline}</td><td>${x.patched}</td>
          <td class="mono">${m(x.note?.split('\n')[0] ?? '')}</td></tr>`;
      })}</tbody></table>`
    }
    ${r.comparison.patchedRuns > 1 ? html`<p class="muted">Changed results were checked by ${r.comparison.patchedRuns - 1} rerun(s) of the patched kernel.</p>` : null}
  </section>`;
}

function seriesSection(d: RunPageData): Node {
  const s = d.record.series;
  return html`<section id="series"><h2>Series</h2>
    <dl class="facts">
      <dt>subject</dt><dd>${m(s.title)}</dd>
      <dt>author</dt><dd>${m(s.author ?? '–')}</dd>
      <dt>Message-ID</dt><dd class="mono">${m(s.messageId ?? '–')}</dd>
      <dt>input</dt><dd class="mono">${m(s.input)}</dd>
      <dt>base</dt><dd class="mono">${m(s.base)}${s.baseReason ? html` <span class="muted">(${m(s.baseReason)})</span>` : null}</dd>
      ${s.patchsetHash ? html`<dt>patchset hash</dt><dd class="mono">${s.patchsetHash}</dd>` : null}
    </dl>
    <table><thead><tr><th>#</th><th>patch</th><th>author</th><th>trailers</th></tr></thead><tbody>
      ${(d.patches.length
        ? d.patches
        : s.patches.map((subject, i) => ({ index: i + 1, subject, author: '', messageId: '', trailers: [] }))
      ).map(
        (p) => html`<tr>
        <td class="num">${p.index}</td><td>${m(p.subject)}${p.messageId ? html`<div class="muted mono">${m(p.messageId)}</div>` : null}</td><td>${m(p.author)}</td>
        <td class="mono">${p.trailers.map((t) => html`<div>${m(t.key)}: ${m(t.value)}</div>`)}</td></tr>`,
      )}
    </tbody></table>
  </section>`;
}

function envSection(d: RunPageData, links: Links): Node {
  const r = d.record;
  const href =
    links.config ??
    (d.configText !== null
      ? `data:text/plain;charset=utf-8;base64,${Buffer.from(d.configText).toString('base64')}`
      : undefined);
  return html`<section id="environment"><h2>Build and environment</h2><dl class="facts">
    <dt>config</dt><dd>${[...r.config.fragments, ...r.config.extra].join(' + ') || '(default)'}${r.config.variant ? ` [${r.config.variant}]` : ''}
      · hash <span class="mono">${r.config.configHash || '–'}</span>
      ${href ? html` · <a href=${href} download=${`config-${r.id}`}>download .config</a>` : null}</dd>
    <dt>kernel</dt><dd>${r.env.kernel || '–'}</dd>
    <dt>compiler</dt><dd class="mono">${r.env.gcc || '–'}</dd>
    <dt>QEMU</dt><dd class="mono">${r.env.qemu || '–'}</dd>
    <dt>accelerator</dt><dd>${r.env.accel || '–'} (runner ${r.env.runner || '–'})</dd>
    <dt>baseline</dt><dd>${r.baseline?.cached ? `reused from run ${r.baseline.fromRun ?? '?'} (same base, config, gcc and runner)` : r.baseline ? 'built and tested in this run' : 'none'}</dd>
  </dl></section>`;
}

function matrixCell(m: MatrixRow): Node {
  const statuses = m.patched.map((t) => t?.status ?? 'notrun');
  return html`${statuses.map((s, i) => html`${i ? ', ' : ''}${status(s)}`)}`;
}

function matrixSection(r: RunRecord, links: Links): Node {
  const rows = matrixRows(r);
  return html`<section id="matrix"><h2>All cases (${rows.length}): baseline against patched</h2>
    <table class="matrix"><thead><tr><th>test</th><th>baseline</th><th>patched (each run)</th><th class="num">k/N passed</th><th class="num">time base</th><th class="num">time patched</th><th>label</th></tr></thead>
    <tbody>${rows.map(
      (m) => html`<tr class=${m.label === 'regression' ? 'regressed' : m.label ? 'changed' : ''} data-test=${m.name}>
      <td>${testName(m.name, links)}</td><td>${status(m.baseline?.status)}</td><td>${matrixCell(m)}</td>
      <td class="num">${m.total ? `${m.pass}/${m.total}` : '–'}</td><td class="num">${ms(m.baseline?.durationMs)}</td><td class="num">${ms(m.patched[0]?.durationMs)}</td>
      <td>${m.label ? html`<span class=${`label l-${cls(m.label)}`}>${m.label}</span>` : null}${m.knownFlaky ? html` <span class="label l-known-flaky">${m.knownFlaky}</span>` : null}</td></tr>`,
    )}
    </tbody></table></section>`;
}

function eventsSection(r: RunRecord, links: Links): Node {
  const sides: Array<[string, KernelEvent[]]> = [
    ['baseline', r.baseline?.events ?? []],
    ['patched', r.patched?.events ?? []],
    ...r.reruns.map((x, i): [string, KernelEvent[]] => [`rerun ${i + 1}`, x.events]),
  ];
  const all = sides.flatMap(([side, evs]) => evs.map((e) => ({ side, e })));
  return html`<section id="events"><h2>Kernel events (${all.length})</h2>
    ${
      all.length === 0
        ? html`<p class="muted">No oops, BUG, WARNING, stall or sanitizer report on either side.</p>`
        : all.map(
            ({ side, e }) => html`<details open=${side !== 'baseline'} class="event" data-kind=${e.kind}>
      <summary>${e.kind} in <span class="mono fn">${e.function ?? '(function unknown)'}</span> · ${side} · during ${e.test ? testName(e.test, links) : 'no test (boot or teardown)'}</summary>
      <pre>${printableLines(e.decoded ?? e.text)}</pre>
      ${e.decoded ? html`<details><summary>raw report</summary><pre>${printableLines(e.text)}</pre></details>` : null}
    </details>`,
          )
    }
  </section>`;
}

function timingSection(r: RunRecord): Node {
  const colors: Record<string, string> = { baseline: '#8250df', patched: '#0969da', run: '#57606a' };
  const stageBars = r.stages.map((s) => ({
    label: `${s.name}${s.side === 'run' ? '' : ` [${s.side}]`}`,
    ms: s.ms,
    color: colors[s.side],
  }));
  const rows = matrixRows(r).filter(
    (m) => m.baseline?.durationMs !== undefined || m.patched[0]?.durationMs !== undefined,
  );
  const testBars = rows.flatMap((m) => [
    ...(m.baseline?.durationMs !== undefined
      ? [{ label: `${m.name} (base)`, ms: m.baseline.durationMs, color: colors.baseline }]
      : []),
    ...(m.patched[0]?.durationMs !== undefined
      ? [{ label: m.name, ms: m.patched[0].durationMs, color: colors.patched }]
      : []),
  ]);
  return html`<section id="timing"><h2>Timing</h2>
    <p class="muted">purple: baseline · blue: patched · grey: whole run</p>
    ${stageBars.length ? barChart(stageBars, { title: 'time per stage' }) : html`<p class="muted">No stage timings.</p>`}
    ${testBars.length ? html`<details><summary>time per test (${rows.length} tests)</summary>${barChart(testBars, { title: 'time per test', labelWidth: 360 })}</details>` : null}
  </section>`;
}

function logBlock(l: LogExcerpt): Node {
  return html`<details class="log" id=${`${l.id}-box`}><summary>${l.label} <span class="muted">(${(l.bytes / 1024).toFixed(0)} KiB${l.omitted ? `, ${(l.omitted / 1048576).toFixed(1)} MiB of the middle left out` : ''})</span></summary>
    <div class="logsearch" data-logsearch=${l.id}><input type="search" placeholder="search this log" aria-label=${`search ${l.label}`} /><span class="count muted"></span></div>
    <div class="muted mono">${l.path}</div>
    <pre id=${l.id}>${printableLines(l.text)}</pre><pre id=${`${l.id}-hits`} hidden></pre>
  </details>`;
}

/** The body of a run's page (static report and `hmmci serve` alike): changes first. */
export function runBody(d: RunPageData, links: Links = {}): Node {
  const r = d.record;
  return html`${header(r, links)}${changesSection(r, links)}${seriesSection(d)}${envSection(d, links)}${matrixSection(r, links)}${eventsSection(r, links)}${timingSection(r)}
    <section id="logs"><h2>Logs</h2>${d.logs.length ? d.logs.map(logBlock) : html`<p class="muted">No logs kept.</p>`}</section>
    <section id="reproduce"><h2>Reproduce</h2><pre class="repro">${m(reproduceCommand(r))}</pre>
      <p class="muted">The series as tested is kept in the run directory; with the original input: <code>${m(reproduceCommand(r, { useKeptSeries: false }))}</code></p></section>`;
}

/** `hmmci report RUN --html FILE`: one self-contained page (no network needed to open it). */
export function renderRunReport(d: RunPageData): string {
  return renderPage(runBody(d), { title: `hmmci ${d.record.id}: ${m(d.record.series.title)}` });
}
