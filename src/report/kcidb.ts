import { pathToFileURL } from 'node:url';
import type { TestResult, TestStatus } from '../results/types.js';
import type { RunRecord, SideResult } from './record.js';

/** KCIDB I/O schema version these reports follow (kcidb-io v5.0). */
export const KCIDB_VERSION = { major: 5, minor: 0 } as const;
export const KCIDB_ORIGIN = 'hmmci';
const MAX_EXCERPT = 16384;

type KcidbStatus = 'FAIL' | 'ERROR' | 'MISS' | 'PASS' | 'DONE' | 'SKIP';

/** hmmci statuses in KCIDB terms (FAIL: the code is faulty; ERROR: the test could not finish). */
export function kcidbStatus(s: TestStatus): KcidbStatus {
  switch (s) {
    case 'pass':
    case 'xfail':
    case 'xpass':
      return 'PASS';
    case 'fail':
    case 'crash':
      return 'FAIL';
    case 'timeout':
      return 'ERROR';
    case 'skip':
      return 'SKIP';
    case 'notrun':
      return 'MISS';
  }
}

const fileUrl = (p: string | undefined) => (p ? pathToFileURL(p).href : undefined);
const excerpt = (s: string) => (s.length > MAX_EXCERPT ? s.slice(s.length - MAX_EXCERPT) : s);
const idPart = (s: string) => s.replace(/[^A-Za-z0-9_.:-]/g, '_');
const isSha1 = (s: string) => /^[0-9a-f]{40}$/.test(s);

function drop<T extends Record<string, unknown>>(o: T): T {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}

type KcidbSide = 'baseline' | 'patched';

const checkoutIdOf = (r: RunRecord, side: KcidbSide) => `${KCIDB_ORIGIN}:${idPart(r.id)}:${side}`;

function kcidbCheckout(r: RunRecord, side: KcidbSide) {
  const applied = side === 'baseline' || (r.series.commits !== undefined && r.series.commits.length > 0);
  const msgId = r.series.messageId?.replace(/^<|>$/g, '');
  return drop({
    id: checkoutIdOf(r, side),
    origin: KCIDB_ORIGIN,
    tree_name: r.env.kernel ? `linux-${r.env.kernel}` : undefined,
    git_commit_hash: isSha1(r.series.base) ? r.series.base : undefined,
    patchset_hash: side === 'baseline' ? '' : r.series.patchsetHash,
    message_id: side === 'patched' && msgId && /^[^\s@]+@[^\s@]+$/.test(msgId) ? msgId : undefined,
    comment: side === 'baseline' ? `baseline of: ${r.series.title}` : r.series.title,
    start_time: r.createdAt,
    valid: side === 'baseline' ? true : applied,
    misc: { run: r.id, input: r.series.input },
  });
}

/** The side's build, when there was one: it passed, or it failed as the build of this side. */
function kcidbBuilds(r: RunRecord, side: KcidbSide, result: SideResult | null) {
  const built =
    result !== null ||
    (side === 'patched' && r.error?.exitCode === 5) ||
    (side === 'baseline' && r.error?.exitCode === 6);
  if (!built) return [];
  const checkoutId = checkoutIdOf(r, side);
  const buildLog = side === 'baseline' ? r.artifacts.baselineBuildLog : r.artifacts.patchedBuildLog;
  const buildMs = r.stages.filter((s) => s.side === side && s.name === 'build').reduce((a, s) => a + s.ms, 0);
  return [
    drop({
      id: `${checkoutId}:build`,
      checkout_id: checkoutId,
      origin: KCIDB_ORIGIN,
      architecture: 'x86_64',
      compiler: r.env.gcc || undefined,
      config_name: [...r.config.fragments, ...r.config.extra].join('+') || undefined,
      config_url: fileUrl(r.artifacts.config),
      log_url: fileUrl(buildLog),
      duration: buildMs ? buildMs / 1000 : undefined,
      start_time: r.createdAt,
      status: (result !== null ? 'PASS' : 'FAIL') as KcidbStatus,
      log_excerpt:
        result === null && r.error ? excerpt([r.error.message, ...(r.error.details ?? [])].join('\n')) : undefined,
      misc: { config_hash: r.config.configHash, cached: result?.cached ?? false },
    }),
  ];
}

/** Test name → its change kind against the baseline (patched side only). */
function changeKinds(r: RunRecord, side: KcidbSide): Map<string, string> {
  const changes = new Map<string, string>();
  if (side !== 'patched' || !r.comparison) return changes;
  const c = r.comparison;
  for (const [kind, list] of [
    ['regression', c.regressions],
    ['fixed', c.fixed],
    ['flaky', c.flaky],
    ['still_failing', c.stillFailing],
    ['new_skip', c.newSkips],
    ['added', c.added],
    ['not_run', c.notRun],
  ] as const) {
    for (const t of list) changes.set(t.name, kind);
  }
  return changes;
}

function kcidbTest(
  r: RunRecord,
  t: TestResult,
  ctx: { buildId: string; consoleLog: string | undefined; change: string | undefined },
) {
  return drop({
    id: `${ctx.buildId}:${idPart(t.name)}`,
    build_id: ctx.buildId,
    origin: KCIDB_ORIGIN,
    path: `kselftest.mm.hmm-tests.${t.name.replace(/[^A-Za-z0-9_.-]/g, '_')}`,
    status: kcidbStatus(t.status),
    duration: t.durationMs !== undefined ? t.durationMs / 1000 : undefined,
    log_url: fileUrl(ctx.consoleLog),
    log_excerpt:
      t.reason || t.output?.length ? excerpt([t.reason, ...(t.output ?? [])].filter(Boolean).join('\n')) : undefined,
    environment: { comment: `QEMU x86_64 (${r.env.accel || 'unknown accel'}) via ${r.env.runner || 'qemu'}` },
    start_time: r.createdAt,
    misc: drop({
      hmmci_status: t.status,
      change: ctx.change,
      ...(t.repeat
        ? { repeat: `${t.repeat.pass}/${t.repeat.total}`, repeat_pass: t.repeat.pass, repeat_total: t.repeat.total }
        : {}),
    }),
  });
}

function sideObjects(r: RunRecord, side: KcidbSide, result: SideResult | null) {
  const buildId = `${checkoutIdOf(r, side)}:build`;
  const consoleLog = side === 'baseline' ? r.artifacts.baselineConsole : r.artifacts.patchedConsoles[0];
  const changes = changeKinds(r, side);
  const tests = (result?.tests ?? []).map((t) => kcidbTest(r, t, { buildId, consoleLog, change: changes.get(t.name) }));
  return { checkout: kcidbCheckout(r, side), builds: kcidbBuilds(r, side, result), tests };
}

/**
 * KernelCI KCIDB JSON (schema v5.0): for each job a baseline and a patched checkout (the
 * patched one with the patchset hash and message-id), their builds and every hmm-tests subtest.
 * Local artifacts are referenced by file:// URLs.
 */
export function renderKcidb(records: readonly RunRecord[]) {
  const checkouts: unknown[] = [];
  const builds: unknown[] = [];
  const tests: unknown[] = [];
  for (const r of records) {
    for (const side of ['baseline', 'patched'] as const) {
      const o = sideObjects(r, side, side === 'baseline' ? r.baseline : r.patched);
      checkouts.push(o.checkout);
      builds.push(...o.builds);
      tests.push(...o.tests);
    }
  }
  return { version: { ...KCIDB_VERSION }, checkouts, builds, tests };
}
