import type { TestChange } from '../compare/types.js';
import { describeRates } from '../compare/rates.js';
import { BAD_STATUSES, type TestResult } from '../results/types.js';
import type { RunRecord } from './record.js';
import { xmlEscape } from './xml.js';

const seconds = (ms: number | undefined) => ((ms ?? 0) / 1000).toFixed(3);

function attrs(a: Record<string, string | number | undefined>): string {
  return Object.entries(a)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${xmlEscape(String(v))}"`)
    .join('');
}

/** JUnit's counters: fail is a failure, crash/timeout an error, skip/notrun skipped; time in ms. */
function tally(tests: readonly TestResult[]) {
  return {
    failures: tests.filter((t) => t.status === 'fail').length,
    errors: tests.filter((t) => t.status === 'crash' || t.status === 'timeout').length,
    skipped: tests.filter((t) => t.status === 'skip' || t.status === 'notrun').length,
    time: tests.reduce((a, t) => a + (t.durationMs ?? 0), 0),
  };
}

function changeIndex(r: RunRecord): Map<string, { kind: string; change: TestChange }> {
  const m = new Map<string, { kind: string; change: TestChange }>();
  const c = r.comparison;
  if (!c) return m;
  const add = (kind: string, list: readonly TestChange[]) => {
    for (const t of list) m.set(t.name, { kind, change: t });
  };
  add('regression', c.regressions);
  add('still failing', c.stillFailing);
  add('flaky', c.flaky);
  add('added', c.added);
  add('fixed', c.fixed);
  add('new skip', c.newSkips);
  add('not run', c.notRun);
  return m;
}

function testcase(t: TestResult, changes: ReturnType<typeof changeIndex>): string {
  const [fixture, variant] = t.name.split('.');
  const classname = `hmm-tests.${fixture ?? 'hmm'}.${variant ?? ''}`.replace(/\.$/, '');
  const open = `    <testcase${attrs({ name: t.name, classname, time: seconds(t.durationMs) })}`;
  const ch = changes.get(t.name);
  const baseline = ch?.change.baseline ?? null;
  const body: string[] = [];
  const rep = t.repeat ? `passed ${t.repeat.pass}/${t.repeat.total} runs` : undefined;
  const msg = [t.reason ?? t.status, rep].filter(Boolean).join('; ');
  if (BAD_STATUSES.has(t.status)) {
    const why =
      ch?.kind === 'regression' && ch.change.rate
        ? `regression: ${describeRates(ch.change.rate)}`
        : ch?.kind === 'regression'
          ? `regression: ${baseline} at the baseline, ${t.status} with the series`
          : ch?.kind === 'still failing'
            ? `also ${baseline} at the baseline`
            : ch?.kind === 'flaky' && ch.change.rate
              ? `flaky: ${describeRates(ch.change.rate)}`
              : ch?.kind === 'flaky'
                ? `flaky: patched runs ${ch.change.runs.join(', ')}`
                : ch?.kind === 'added'
                  ? 'test added by the series'
                  : t.status;
    const el = t.status === 'fail' ? 'failure' : 'error';
    body.push(
      `      <${el}${attrs({ type: t.status, message: `${msg} (${why})` })}>${xmlEscape((t.output ?? []).join('\n'))}</${el}>`,
    );
  } else if (t.status === 'skip' || t.status === 'notrun') {
    body.push(
      `      <skipped${attrs({ message: t.status === 'notrun' ? 'not run: the suite stopped before this test' : msg })}/>`,
    );
  }
  if (ch?.kind === 'flaky') {
    // Reruns that failed, in JUnit's rerun vocabulary (Surefire/Jenkins understand it).
    ch.change.runs.slice(1).forEach((s, i) => {
      if (BAD_STATUSES.has(s)) body.push(`      <rerunFailure${attrs({ type: s, message: `rerun ${i + 1}: ${s}` })}/>`);
    });
  }
  // junit-10.xsd has no per-testcase properties: k/N goes in the message (bad) or system-out.
  const out = [
    ...(rep && !BAD_STATUSES.has(t.status) ? [`hmmci.repeat: ${rep}`] : []),
    ...(!BAD_STATUSES.has(t.status) ? (t.output ?? []) : []),
  ];
  if (out.length) body.push(`      <system-out>${xmlEscape(out.join('\n'))}</system-out>`);
  return body.length ? `${open}>\n${body.join('\n')}\n    </testcase>` : `${open}/>`;
}

function suite(r: RunRecord): string {
  const tests = r.patched?.tests ?? [];
  const changes = changeIndex(r);
  const { failures, errors, skipped, time } = tally(tests);
  const props: Record<string, string> = {
    'hmmci.run': r.id,
    'hmmci.status': r.status,
    'hmmci.verdict': r.comparison?.summary ?? r.error?.message ?? r.status,
    'series.title': r.series.title,
    'series.patches': String(r.series.patches.length),
    'series.base': r.series.base,
    'config.hash': r.config.configHash,
    'config.fragments': [...r.config.fragments, ...r.config.extra].join(' '),
    'env.kernel': r.env.kernel,
    'env.gcc': r.env.gcc,
    'env.qemu': r.env.qemu,
    'env.accel': r.env.accel,
    'env.runner': r.env.runner,
  };
  if (r.series.messageId) props['series.message-id'] = r.series.messageId;
  const repeats = tests.map((t) => t.repeat?.total ?? 0);
  if (Math.max(0, ...repeats) > 0) props['hmmci.repeat'] = String(Math.max(...repeats));
  if (r.artifacts.patchedConsoles[0]) props['log.console'] = r.artifacts.patchedConsoles[0];
  const lines = [
    `  <testsuite${attrs({ name: `hmm-tests: ${r.series.title}`, tests: tests.length, failures, errors, skipped, time: seconds(time), timestamp: r.createdAt.replace(/\.\d+Z$/, '').replace(/Z$/, ''), id: r.id, package: 'hmm-tests' })}>`,
    '    <properties>',
    ...Object.entries(props).map(([name, value]) => `      <property${attrs({ name, value })}/>`),
    '    </properties>',
    ...tests.map((t) => testcase(t, changes)),
  ];
  if (r.error)
    lines.push(`    <system-err>${xmlEscape([r.error.message, ...(r.error.details ?? [])].join('\n'))}</system-err>`);
  lines.push('  </testsuite>');
  return lines.join('\n');
}

/**
 * JUnit XML (the Jenkins/xUnit junit-10.xsd dialect): one <testsuite> per job holding the
 * patched kernel's results; a failure's message says whether it is a regression or was already
 * failing at the baseline; flaky tests carry <rerunFailure> for failing reruns.
 */
export function renderJunit(records: readonly RunRecord[]): string {
  const all = records.flatMap((r) => r.patched?.tests ?? []);
  const { failures, errors, time } = tally(all);
  const head = `<testsuites${attrs({ name: 'hmmci', tests: all.length, failures, errors, time: seconds(time) })}>`;
  return ['<?xml version="1.0" encoding="UTF-8"?>', head, ...records.map(suite), '</testsuites>', ''].join('\n');
}
