import { TEST_STATUSES, type StatusCounts } from '../results/types.js';
import { changeRows, compactRows, headline, passText, repeatLine, shortSha } from './changes.js';
import type { RunRecord } from './record.js';
import { visibleLine } from '../series/visible.js';

export interface MailOptions {
  /** `Name <email>` for the Tested-by trailer; without it the trailer is left out. */
  testedBy?: string;
}

function countsText(c: StatusCounts | undefined): string {
  if (!c) return 'no results';
  const total = Object.values(c).reduce((a, b) => a + (b ?? 0), 0);
  const parts = TEST_STATUSES.filter((s) => (c[s] ?? 0) > 0).map((s) => `${c[s]} ${s}`);
  return `${total} tests: ${parts.join(', ')}`;
}

function wrap(text: string, width = 72, indent = ''): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && (indent + line + ' ' + word).length > width) {
      lines.push(indent + line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(indent + line);
  return lines;
}

type Comparison = NonNullable<RunRecord['comparison']>;

/** Subject, In-Reply-To and References, then the blank line ending the headers. */
function headerLines(s: RunRecord['series']): string[] {
  // The title comes from a mail: no control characters (or a newline starting a header) in ours.
  const title = visibleLine(s.title);
  const subject = title.startsWith('Re:') ? title : `Re: ${title}`;
  const out = [`Subject: ${subject}`];
  if (s.messageId) {
    const id = s.messageId.startsWith('<') ? s.messageId : `<${s.messageId}>`;
    out.push(`In-Reply-To: ${id}`, `References: ${id}`);
  }
  out.push('');
  return out;
}

/** What was tested and where: the opening paragraph and the base/config/machine/gcc block. */
function setupLines(r: RunRecord): string[] {
  const s = r.series;
  const n = s.patches.length;
  return [
    ...wrap(
      `I ran the HMM selftests (tools/testing/selftests/mm/hmm-tests with the test_hmm module) on this series (${n} patch${n === 1 ? '' : 'es'}) and on its base, booting both kernels in QEMU, and compared every subtest.`,
    ),
    '',
    `  base:    ${shortSha(s.base)}${r.env.kernel ? ` (Linux ${r.env.kernel})` : ''}${s.baseReason ? `, ${s.baseReason}` : ''}`,
    `  config:  ${[...r.config.fragments, ...r.config.extra].join(' + ') || '(default)'} (hash ${r.config.configHash || '-'})`,
    `  machine: x86_64 QEMU, ${r.env.accel || '?'} via ${r.env.runner || 'qemu'}; ${r.env.qemu || 'qemu ?'}`,
    `  gcc:     ${r.env.gcc || '?'}`,
    '',
  ];
}

/** The changed subtests, one line each (and the first line of a note). */
function changeLines(c: Comparison): string[] {
  const rows = compactRows(changeRows(c));
  if (!rows.length) return [];
  const out = ['', 'Changes:'];
  for (const row of rows) {
    out.push(`  ${row.label.padEnd(10)} ${row.name}: ${row.baseline} -> ${row.patched}`);
    if (row.note && (row.label !== 'FIXED' || row.note.startsWith('fails ')))
      out.push(`             ${row.note.split('\n')[0]}`);
  }
  return out;
}

/** With --repeat: how the failure rates were compared and the tests that failed in some runs. */
function repeatLines(r: RunRecord): string[] {
  if (!repeatLine(r)) return [];
  const out = [
    '',
    ...wrap(
      `Each test ran up to ${r.patched?.tests.reduce((m, t) => Math.max(m, t.repeat?.total ?? 0), 0)} times on each kernel; failure rates were compared with Barnard's exact test (one-sided, alpha 0.05). Tests that failed in some runs (passed/runs):`,
    ),
  ];
  const base = new Map((r.baseline?.tests ?? []).map((t) => [t.name, t.repeat]));
  const flaky = (r.patched?.tests ?? []).filter(
    (t) =>
      t.repeat &&
      (t.repeat.pass < t.repeat.total || (base.get(t.name) && base.get(t.name)!.pass < base.get(t.name)!.total)),
  );
  for (const t of flaky)
    out.push(`  ${t.name}: ${base.get(t.name) ? passText(base.get(t.name)!) : '-'} -> ${passText(t.repeat!)}`);
  if (!flaky.length) out.push('  (none: every test passed every run on both kernels)');
  return out;
}

/** The reruns note and the confirmed kernel events of the patched kernel (30 lines each). */
function rerunAndEventLines(c: Comparison): string[] {
  const out: string[] = [];
  if (c.patchedRuns > 1)
    out.push(
      '',
      `Changed results were re-run ${c.patchedRuns - 1} more time${c.patchedRuns > 2 ? 's' : ''} before being reported.`,
    );
  for (const e of c.newEvents.filter((ev) => ev.confirmed)) {
    out.push('', `${e.kind} on the patched kernel${e.test ? ` during ${e.test}` : ''}:`, '');
    out.push(
      ...e.text
        .split('\n')
        .slice(0, 30)
        .map((l) => `  ${l}`),
    );
  }
  return out;
}

/** The verdict: interrupted, no comparison (and why), or the result with its changes. */
function verdictLines(r: RunRecord): string[] {
  const c = r.comparison;
  if (r.status === 'interrupted') return ['The run was interrupted before it finished; there is no verdict.'];
  if (!c) {
    const out = wrap(`No comparison: ${r.error?.message ?? 'the run did not finish'}`);
    for (const d of r.error?.details ?? []) out.push(`  ${d}`);
    return out;
  }
  return [
    `Result: ${headline(r)}.`,
    `  before: ${countsText(r.baseline?.counts)}`,
    `  after:  ${countsText(r.patched?.counts)}`,
    ...changeLines(c),
    ...repeatLines(r),
    ...rerunAndEventLines(c),
  ];
}

/**
 * A plain-text reply for the mailing list: what was tested, on what base/config/machine, the
 * changes, and a Tested-by trailer only when nothing regressed (and the run completed).
 */
export function renderMail(r: RunRecord, opts: MailOptions = {}): string {
  const out = [...headerLines(r.series), ...setupLines(r), ...verdictLines(r)];
  const c = r.comparison;
  const clean = r.status === 'complete' && c !== null && !c.regressed;
  if (clean && opts.testedBy) out.push('', `Tested-by: ${opts.testedBy}`);
  out.push('', '-- ', `hmmci run ${r.id}`);
  return `${out.join('\n')}\n`;
}
