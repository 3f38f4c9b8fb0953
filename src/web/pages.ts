import type { FlakyEntry, HistoryRow, JobFilter, JobListing, TestHistory } from '../history/index.js';
import { outcomeOf } from '../history/stats.js';
import { statsLine } from '../history/render-text.js';
import { printable as m } from '../history/printable.js';
import { html, type Node } from './html.js';
import { durationPlot, passFailStrip, type StripCell } from './svg.js';

export const hrefs = {
  runs: (f: JobFilter = {}) => {
    const q = new URLSearchParams();
    for (const k of ['status', 'series', 'base'] as const) if (f[k]) q.set(k, String(f[k]));
    if (f.offset) q.set('offset', String(f.offset));
    const s = q.toString();
    return s ? `/?${s}` : '/';
  },
  run: (id: string) => `/runs/${encodeURIComponent(id)}`,
  config: (id: string) => `/runs/${encodeURIComponent(id)}/config`,
  test: (name: string) => `/tests/${encodeURIComponent(name)}`,
  flaky: '/flaky',
};

const nav = html`<nav><a href="/">runs</a><a href=${hrefs.flaky}>flaky tests</a></nav>`;
const fleetNav = html`<nav><a href="/">runs</a><a href=${hrefs.flaky}>flaky tests</a><a href="/fleet">fleet</a></nav>`;
const when = (iso: string) => iso.replace('T', ' ').slice(0, 19);
const STATUSES = ['', 'complete', 'regressed', 'failed', 'interrupted', 'running'];

function filterForm(f: JobFilter): Node {
  return html`<form class="filters" method="get" action="/">
    <label>status<select name="status">${STATUSES.map((s) => html`<option value=${s} selected=${(f.status ?? '') === s}>${s || 'any'}</option>`)}</select></label>
    <label>series (subject, author, Message-ID)<input name="series" value=${f.series ?? ''} /></label>
    <label>base commit<input name="base" value=${f.base ?? ''} size="14" /></label>
    <button type="submit">filter</button> <a href="/">clear</a>
  </form>`;
}

/** The run list: newest first, filterable by status, series and base. */
export function runListBody(
  list: { jobs: JobListing[]; total: number },
  f: JobFilter,
  o: { fleet?: boolean } = {},
): Node {
  const limit = f.limit ?? 100;
  const offset = f.offset ?? 0;
  return html`${o.fleet ? fleetNav : nav}<h1>Runs</h1>${filterForm(f)}
    <p class="muted">${list.total} run${list.total === 1 ? '' : 's'}${list.total > limit ? `, ${offset + 1}–${Math.min(offset + limit, list.total)} shown` : ''}</p>
    <table class="runs"><thead><tr><th>started</th><th>series</th><th>result</th><th>base</th><th>config</th></tr></thead><tbody>
    ${list.jobs.map(
      (j) => html`<tr class=${j.regressed ? 'regressed' : ''} data-run=${j.id}>
      <td class="mono">${when(j.created_at)}</td>
      <td><a href=${hrefs.run(j.id)}>${m(j.series_title)}</a><div class="muted">${m(j.author ?? '')}</div></td>
      <td>${j.regressed ? html`<span class="label l-regression">regressed</span> ` : null}<span class="muted">${j.status}${j.exit_code !== null ? ` · exit ${j.exit_code}` : ''}</span><div>${m(j.summary)}</div></td>
      <td class="mono"><a href=${hrefs.runs({ ...f, base: j.base.slice(0, 12), offset: 0 })}>${j.base.slice(0, 12)}</a></td>
      <td>${j.config_desc}</td></tr>`,
    )}
    </tbody></table>
    ${offset + limit < list.total ? html`<p><a href=${hrefs.runs({ ...f, offset: offset + limit })}>older runs →</a></p>` : null}`;
}

function cell(r: HistoryRow): StripCell {
  const first = r.patched[0] ?? r.baseline ?? 'notrun';
  const o = outcomeOf(first);
  const any = r.patched.some((s) => outcomeOf(s) === 'fail');
  return {
    outcome: o === null ? (first === 'skip' ? 'skip' : 'none') : any ? 'fail' : o,
    title: `${when(r.createdAt)} ${r.job}: ${m(r.series)} — patched ${r.patched.join(',') || '-'}, baseline ${r.baseline ?? '-'}`,
    href: hrefs.run(r.job),
  };
}

/** A test's page: statistics, pass/fail strip across runs, duration plot, the runs. */
export function testBody(h: TestHistory): Node {
  const cells = h.rows.map(cell);
  const points = h.rows
    .filter((r) => r.durationMs !== null)
    .map((r) => ({ ms: r.durationMs as number, outcome: cell(r).outcome, title: `${r.job}: ${r.durationMs} ms` }));
  return html`${nav}<h1 class="mono">${h.test}</h1><p>${statsLine(h.stats)}</p>
    <h2>Pass/fail across runs (oldest left)</h2>${passFailStrip(cells, { title: `results of ${h.test}` })}
    <h2>Duration (patched, first run)</h2>${points.length ? durationPlot(points, { title: `duration of ${h.test}` }) : html`<p class="muted">No durations recorded.</p>`}
    <h2>Runs</h2><table class="history"><thead><tr><th>started</th><th>series</th><th>base</th><th>config</th><th>baseline</th><th>patched</th><th class="num">k/N</th><th class="num">time</th><th>change</th></tr></thead><tbody>
    ${[...h.rows].reverse().map(
      (
        r,
      ) => html`<tr data-run=${r.job}><td class="mono"><a href=${hrefs.run(r.job)}>${when(r.createdAt)}</a></td><td>${m(r.series)}</td>
      <td class="mono">${r.base.slice(0, 12)}</td><td>${r.config}</td><td>${r.baseline ?? '–'}${r.baselineCached ? ' (cached)' : ''}</td>
      <td>${r.patched.join(', ') || '–'}</td><td class="num">${r.total ? `${r.pass}/${r.total}` : '–'}</td><td class="num">${r.durationMs ?? ''}${r.durationMs !== null ? ' ms' : ''}</td>
      <td>${r.label ? html`<span class=${`label l-${r.label.toLowerCase().replace(/[^a-z]+/g, '-')}`}>${r.label.toLowerCase()}</span>` : null}</td></tr>`,
    )}
    </tbody></table>`;
}

/** The flaky ranking: most flips first. */
export function flakyBody(list: readonly FlakyEntry[]): Node {
  return html`${nav}<h1>Flaky tests</h1>
    <p class="muted">Ranked by flips: pass↔fail changes between consecutive results on the same base and config, not counting runs whose series changed the test's result.</p>
    ${
      list.length === 0
        ? html`<p>No test has flipped.</p>`
        : html`<table class="flaky"><thead><tr><th>#</th><th>test</th><th class="num">flips</th><th class="num">failed</th><th class="num">pass rate</th><th>streak</th><th>last failure</th></tr></thead><tbody>
      ${list.map(
        (
          f,
          i,
        ) => html`<tr><td class="num">${i + 1}</td><td><a href=${hrefs.test(f.test)}>${f.test}</a></td><td class="num">${f.flips}</td>
        <td class="num">${f.failed}/${f.results}</td><td class="num">${Number.isNaN(f.passRate) ? '–' : `${(f.passRate * 100).toFixed(1)}%`}</td>
        <td>${f.streak ? `${f.streak.count} × ${f.streak.outcome}` : '–'}</td><td class="mono">${f.lastFailure ? when(f.lastFailure) : '–'}</td></tr>`,
      )}
    </tbody></table>`
    }`;
}
