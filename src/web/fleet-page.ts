import { describeCapabilities } from '../fleet/capabilities.js';
import type { FleetStatus } from '../fleet/status.js';
import { printable as m } from '../history/printable.js';
import { html, type Node } from './html.js';

const nav = html`<nav><a href="/">runs</a><a href="/flaky">flaky tests</a><a href="/fleet">fleet</a></nav>`;
/** A Redis URL without its password (the page may be read by anyone who reaches it). */
function shownUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable URL)';
  }
}
const ago = (iso: string | undefined, now: number) =>
  iso ? `${Math.max(0, Math.round((now - Date.parse(iso)) / 1000))} s ago` : '–';

function workersTable(s: FleetStatus, now: number): Node {
  if (!s.workers.length)
    return html`<p class="muted">No live worker: start <code>hmmci worker --redis URL</code> on each machine.</p>`;
  return html`<table class="workers"><thead><tr><th>worker</th><th>state</th><th>capabilities</th><th>queues</th><th>current job</th><th>last heartbeat</th></tr></thead><tbody>
    ${s.workers.map(
      (
        w,
      ) => html`<tr data-worker=${w.id}><td class="mono">${m(w.id)}<div class="muted">${m(w.host)} pid ${w.pid}</div></td>
      <td>${w.state}</td><td>${m(describeCapabilities(w.capabilities))}</td><td class="mono">${w.queues.join(', ')}</td>
      <td>${
        w.current.length
          ? w.current.map(
              (c) =>
                html`<div class="current"><span class="mono">${m(c.queue)} ${m(c.jobId)}</span>${c.stage ? html` — ${m(c.stage)}` : null}${c.text ? html`: ${m(c.text)}` : null}</div>`,
            )
          : html`<span class="muted">idle</span>`
      }</td>
      <td class="heartbeat" title=${w.heartbeatAt}>${ago(w.heartbeatAt, now)}</td></tr>`,
    )}
  </tbody></table>`;
}

function queuesTable(s: FleetStatus): Node {
  if (!s.queues.length) return html`<p class="muted">No queue yet.</p>`;
  return html`<table class="queues"><thead><tr><th>queue</th><th class="num">waiting</th><th class="num">active</th><th class="num">delayed</th><th class="num">completed</th><th class="num">failed</th></tr></thead><tbody>
    ${s.queues.map(
      (
        q,
      ) => html`<tr data-queue=${q.name}><td class="mono">${m(q.name)}</td><td class="num">${q.waiting}</td><td class="num">${q.active}</td>
      <td class="num">${q.delayed}</td><td class="num">${q.completed}</td><td class="num">${q.failed}</td></tr>`,
    )}
  </tbody></table>`;
}

function runningTable(s: FleetStatus, now: number): Node {
  if (!s.running.length) return html`<p class="muted">Nothing running.</p>`;
  return html`<table class="running"><thead><tr><th>job</th><th>worker</th><th>stage</th><th>started</th></tr></thead><tbody>
    ${s.running.map(
      (
        r,
      ) => html`<tr data-job=${r.id}><td class="mono">${m(r.queue)} ${m(r.id)}</td><td class="mono">${m(r.worker ?? '?')}</td>
      <td>${m(r.stage ?? r.phase ?? 'started')}${r.text ? html` — ${m(r.text)}` : null}</td><td>${ago(r.startedAt, now)}</td></tr>`,
    )}
  </tbody></table>`;
}

function failedTable(s: FleetStatus): Node {
  if (!s.failed.length) return html`<p class="muted">No failed job.</p>`;
  return html`<table class="failed"><thead><tr><th>job</th><th class="num">attempts</th><th>reason</th><th>failed at</th></tr></thead><tbody>
    ${s.failed.map(
      (f) => html`<tr data-job=${f.id}><td class="mono">${m(f.queue)} ${m(f.id)}</td><td class="num">${f.attempts}</td>
      <td class="reason">${m(f.reason.split('\n')[0] ?? '')}</td><td class="mono">${f.finishedAt?.replace('T', ' ').slice(0, 19) ?? '–'}</td></tr>`,
    )}
  </tbody></table>`;
}

function runsTable(s: FleetStatus): Node {
  if (!s.runs.length) return html`<p class="muted">No run on the fleet yet.</p>`;
  return html`<table class="fleet-runs"><thead><tr><th>run</th><th>series</th><th>state</th><th>outcome</th><th>test jobs</th><th>build jobs</th></tr></thead><tbody>
    ${s.runs.map((r) => {
      const outcome = r.summary
        ? `${r.summary.status}, exit ${r.summary.exitCode ?? '?'}, ${r.summary.regressions.length} regression(s)`
        : r.abandoned
          ? 'abandoned by its submitter'
          : 'open';
      return html`<tr data-run=${r.runId}><td class="mono">${m(r.runId)}<div class="muted">${m(r.id)}</div></td><td>${m(r.title)}</td>
      <td>${r.state}</td><td>${outcome}</td>
      <td>${r.tests.done.length} done, ${r.tests.pending.length} pending, ${r.tests.failed.length} failed</td>
      <td class="mono">${r.builds.map((b) => html`<div>${m(b.side)}: ${m(b.id)}</div>`)}</td></tr>`;
    })}
  </tbody></table>`;
}

/**
 * The fleet section of `hmmci serve --fleet`: what `hmmci fleet status` shows, read-only. Job
 * text (stage lines, failure reasons, run titles) can come from a mail: every value is a text node
 * (escaped by the renderer) and made printable (no control or bidi characters).
 */
export function fleetBody(s: FleetStatus, now = Date.now()): Node {
  return html`${nav}<h1>Fleet</h1><p class="muted">Redis ${s.redis.version} at ${m(shownUrl(s.redis.url))} · read at ${new Date(now).toISOString().replace('T', ' ').slice(0, 19)} UTC</p>
    <h2>Workers (${s.workers.length} live)</h2>${workersTable(s, now)}
    <h2>Queues</h2>${queuesTable(s)}
    <h2>Running jobs</h2>${runningTable(s, now)}
    <h2>Runs</h2>${runsTable(s)}
    <h2>Failed jobs</h2>${failedTable(s)}`;
}

/** The fleet page when the fleet's Redis cannot be read. */
export function fleetDownBody(message: string): Node {
  return html`${nav}<h1>Fleet</h1><p class="error">${m(message)}</p>`;
}
