/**
 * Apply a series into a worktree hmmci owns (a slot or a throwaway worktree) with `git am -3`,
 * one patch at a time so each commit is known. Refuses unsafe or truncated patches before
 * touching anything; on failure explains which patch, files and hunks did not apply and why,
 * aborts the am and resets the worktree to the base.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GitError, simpleGit } from 'simple-git';
import { onCleanup } from '../common/cleanup.js';
import { BadInputError } from '../common/errors.js';
import { requireTool } from '../common/exec.js';
import { silentReporter, type Reporter } from '../common/progress.js';
import { TreeError } from '../tree/errors.js';
import { commitSha, git, gitMaybe, isolatedGitEnv } from '../tree/git.js';
import { amMail } from './am-mail.js';
import { cleanFiles, explainApplyFailure, formatApplyFailure } from './apply-report.js';
import { changedPath, hunkRange, overlongHunks, truncatedHunks } from './diff.js';
import { ApplyError, UnsafePatchError } from './errors.js';
import { checkSeriesSafety } from './safety.js';
import {
  committedByCommit,
  diffPaths,
  escapingLinks,
  fileSetDifference,
  type CommittedEntry,
} from './verify-applied.js';
import { visible, visibleLine } from './visible.js';
import { embeddedMails } from './series.js';
import type { ApplyFailure, ApplyResult, AppliedCommit, BaseChoice, Patch, Series } from './types.js';

export interface ApplySeriesRequest {
  series: Series;
  /** A worktree hmmci owns; it is checked out at the base first if it is not there. */
  worktree: string;
  /** Where to apply: a BaseChoice from resolveBase, or a revision; default: the worktree's HEAD. */
  base?: BaseChoice | string;
  reporter?: Reporter;
  signal?: AbortSignal;
}

/** Refuse, before anything runs, what must never be applied: unsafe paths and cut-short diffs. */
export function assertApplicable(series: Series): void {
  const problems = checkSeriesSafety(series.patches);
  if (problems.length > 0) {
    const first = problems[0]!;
    throw new UnsafePatchError(
      `Refusing to apply ${series.source.input}: patch ${first.patch}/${first.total} "${first.subject}" ${first.path === '' ? 'names an empty path' : `names ${first.path}, which ${first.problem}`}. A patch must only change files inside the kernel tree; nothing was applied. Check where this series came from.`,
      problems.map((p) => `patch ${p.patch}/${p.total}: ${p.path} ${p.problem}`),
    );
  }
  for (const p of series.patches) {
    if (!p.author) {
      throw new BadInputError(
        visible(
          `Refusing to apply ${series.source.input}: patch ${p.index}/${p.total} "${p.subject}" has no author address git am can use (its From: names no e-mail address; git am says "Patch does not have a valid e-mail address"). Ask the sender for a \`git format-patch\` mail, or fix the From: line by hand. Nothing was applied.`,
        ),
      );
    }
    const cut = truncatedHunks(p.changes);
    if (cut.length > 0) {
      const t = cut[0]!;
      throw new BadInputError(
        visible(
          t.hunk.endedBy !== undefined
            ? `Refusing to apply ${series.source.input}: patch ${p.index}/${p.total} "${p.subject}" is corrupt: hunk ${hunkRange(t.hunk)} of ${t.file} promises ${t.hunk.oldLines}/${t.hunk.newLines} lines but has ${t.hunk.oldSeen}/${t.hunk.newSeen} before ${JSON.stringify(t.hunk.endedBy.slice(0, 60))}. The patch was edited by hand or mangled by a mailer; regenerate it with git format-patch. Nothing was applied.`
            : `Refusing to apply ${series.source.input}: patch ${p.index}/${p.total} "${p.subject}" is cut short (hunk ${hunkRange(t.hunk)} of ${t.file} promises ${t.hunk.oldLines}/${t.hunk.newLines} lines, the input has ${t.hunk.oldSeen}/${t.hunk.newSeen}). The mbox was truncated: download it again. Nothing was applied.`,
        ),
      );
    }
    const merged = embeddedMails(p.body);
    if (merged > 0) {
      throw new BadInputError(
        visible(
          `Refusing to apply ${series.source.input}: patch ${p.index}/${p.total} "${p.subject}" holds ${merged} more mail header block${merged === 1 ? '' : 's'} (From:/Subject:/Date:) in its body, so several mails were read as one (the input's message separators were not recognised); git am would make one commit of all of them. Split the input into one mail per patch (an mbox with "From " lines between messages, or a folder of .patch files). Nothing was applied.`,
        ),
      );
    }
    const long = overlongHunks(p.changes);
    if (long.length > 0) {
      const o = long[0]!;
      throw new BadInputError(
        visible(
          `Refusing to apply ${series.source.input}: patch ${p.index}/${p.total} "${p.subject}" is corrupt: hunk ${hunkRange(o.hunk)} of ${o.file} has more lines than its header says (${o.hunk.oldLines} old/${o.hunk.newLines} new; ${JSON.stringify((o.hunk.excess ?? '').slice(0, 60))} follows them). The patch was edited by hand without fixing the hunk header; fix the header (or regenerate the patch with git format-patch). Nothing was applied.`,
        ),
      );
    }
  }
}

/**
 * git for `am`: the tree stage's isolated environment, and no hooks — the repository's hooks (a
 * user's checkout) never run on untrusted patches.
 */
function amGit(worktree: string, signal?: AbortSignal) {
  requireTool('git');
  return simpleGit({
    baseDir: worktree,
    abort: signal,
    unsafe: { allowUnsafeHooksPath: true, allowUnsafeConfigPaths: true },
    config: ['core.hooksPath=/dev/null', 'core.fsync=none', 'gc.auto=0', 'advice.detachedHead=false'],
  }).env(isolatedGitEnv());
}

export async function applySeries(req: ApplySeriesRequest): Promise<ApplyResult> {
  const { series, worktree } = req;
  const reporter = req.reporter ?? silentReporter;
  assertApplicable(series);
  await abortAmIfAny(worktree);
  const head = (await git(worktree, ['rev-parse', 'HEAD'])).trim();
  const base = await baseOf(worktree, req.base, head);
  if (head !== base.base) await resetTo(worktree, base.base, req.signal);

  const stage = reporter.stage(
    'apply',
    `${series.patches.length} patch${series.patches.length === 1 ? '' : 'es'} on ${base.base.slice(0, 12)}`,
  );
  const tmp = mkdtempSync(join(tmpdir(), 'hmmci-am-'));
  const removeTmp = () => rmSync(tmp, { recursive: true, force: true });
  const commits: AppliedCommit[] = [];
  // Interrupted half-way (SIGINT/SIGTERM): no temp dir left, the am aborted, the worktree back at the base.
  const unregister = onCleanup(`git am in ${worktree}`, async () => {
    removeTmp();
    await abortAmIfAny(worktree);
    await resetTo(worktree, base.base);
  });
  const ctx: AmContext = { worktree, base, stage, signal: req.signal, input: series.source.input };
  try {
    for (const p of series.patches) {
      stage.update(visibleLine(`${p.index}/${p.total} ${p.subject}`));
      const before = commits[commits.length - 1]?.sha ?? base.base;
      const sha = await amOne(ctx, p, join(tmp, `${String(p.index).padStart(4, '0')}.mbox`), before, commits);
      commits.push({ sha, index: p.index, subject: p.subject });
    }
    const head = commits[commits.length - 1]?.sha ?? base.base;
    const committed = await checkCommittedFiles(ctx, series.patches, commits, head);
    if (
      [...committed.values()].some((entries) => entries.some((e) => e.newMode === '120000' || e.oldMode === '120000'))
    )
      await checkLinks(ctx, head);
    stage.done(
      `${commits.length} commit${commits.length === 1 ? '' : 's'}, HEAD ${commits[commits.length - 1]?.sha.slice(0, 12) ?? base.base.slice(0, 12)}`,
    );
    return { base: base.base, baseReason: base.reason, commits, worktree };
  } finally {
    unregister();
    removeTmp();
  }
}

interface AmContext {
  worktree: string;
  base: BaseChoice;
  stage: ReturnType<Reporter['stage']>;
  signal?: AbortSignal;
  input: string;
}

/** `git am -3` of one patch; on failure the worktree is reset to the base and an error explains why. */
async function amOne(
  ctx: AmContext,
  p: Patch,
  file: string,
  before: string,
  commits: readonly AppliedCommit[],
): Promise<string> {
  const { worktree, base, stage } = ctx;
  writeFileSync(file, amMail(p));
  const command = ['git', 'am', '-3', `<patch ${p.index}/${p.total}>`];
  try {
    await amGit(worktree, ctx.signal).raw(['am', '-3', '--quiet', '--patch-format=mboxrd', file]);
  } catch (err) {
    if (ctx.signal?.aborted) {
      // Interrupted: git was killed; put the worktree back (the cleanup action may be doing the
      // same at this moment: a lost race is not an error) and let the interruption through.
      await abortAmIfAny(worktree).catch(() => undefined);
      await resetTo(worktree, base.base).catch(() => undefined);
      throw err;
    }
    const amOutput = err instanceof GitError || err instanceof Error ? err.message : String(err);
    await abortAmIfAny(worktree);
    const refusal = amRefusal(amOutput);
    if (refusal.length > 0) {
      await resetTo(worktree, base.base, ctx.signal);
      stage.fail(`git am refused patch ${p.index}/${p.total}`);
      throw new BadInputError(
        visible(
          `git am refused patch ${p.index}/${p.total} "${p.subject}" of ${ctx.input}: ${refusal.map((l) => JSON.stringify(l)).join(' ')}. The mail itself is unusable as it is (its author, date or message), not the code: ask the sender for a clean \`git format-patch\` mail. Nothing was applied.`,
        ),
        { command, details: appliedBefore(commits, p) },
      );
    }
    const failure = await diagnose(worktree, p, file, amOutput, ctx.signal);
    await resetTo(worktree, base.base, ctx.signal);
    stage.fail(`patch ${p.index}/${p.total} does not apply`);
    const { message, details } = formatApplyFailure(failure, base);
    throw new ApplyError(message, failure, { command, details: [...details, ...appliedBefore(commits, p)] });
  }
  const sha = (await git(worktree, ['rev-parse', 'HEAD'])).trim();
  if (sha === before) {
    // git am skips a patch whose changes are all in the tree already ("No changes").
    const failure: ApplyFailure = {
      index: p.index,
      total: p.total,
      subject: p.subject,
      failures: p.changes.map((c) => ({
        file: changedPath(c),
        reason: 'already-applied' as const,
        explanation: 'already applied: git am found nothing left to change',
      })),
      appliedFiles: [],
      gitOutput: 'git am: No changes -- Patch already applied.',
    };
    await resetTo(worktree, base.base, ctx.signal);
    stage.fail(`patch ${p.index}/${p.total} is already applied`);
    const { message, details } = formatApplyFailure(failure, base);
    throw new ApplyError(message, failure, { command, details });
  }
  return sha;
}

function appliedBefore(commits: readonly AppliedCommit[], p: Patch): string[] {
  return commits.length
    ? [`applied before it: ${commits.map((c) => `${c.index}/${p.total}`).join(', ')} (reset away)`]
    : [];
}

/** Lines of git am's output that refuse the mail itself (NUL, bad ident or date), not the diff. */
export function amRefusal(output: string): string[] {
  const lines = output.split('\n').map((l) => l.trim());
  const refusals = lines.filter(
    (l) =>
      /^(fatal|error): /.test(l) &&
      !/patch failed|patch does not apply|Patch failed at|could not build fake ancestor|Failed to merge|sha1 information is lacking|corrupt patch|already exists in (index|working directory)|does not exist in index|No such file or directory|does not match index|Did you hand edit|Repository lacks|unrecognized input|binary patch|depends on old contents|has type|while searching for|resolved the problem/i.test(
        l,
      ),
  );
  if (lines.some((l) => /Patch does not have a valid e-mail address/.test(l)))
    refusals.push('Patch does not have a valid e-mail address.');
  return refusals.filter((l) => !/^fatal: failed to write commit object$/.test(l) || refusals.length === 1);
}

/**
 * The files git committed for each patch must be the files its mail's diff names; else the
 * worktree is reset to the base and the series refused (one git run for the whole series).
 */
async function checkCommittedFiles(
  ctx: AmContext,
  patches: readonly Patch[],
  commits: readonly AppliedCommit[],
  head: string,
): Promise<Map<string, CommittedEntry[]>> {
  const bySha = await committedByCommit(ctx.worktree, ctx.base.base, head, ctx.signal);
  // Interrupted while git ran: its answer is empty, not a lost file; the interruption goes through.
  ctx.signal?.throwIfAborted();
  for (const c of commits) {
    const p = patches.find((x) => x.index === c.index);
    if (!p) continue;
    const { missing, unseen } = fileSetDifference(diffPaths(p.changes), bySha.get(c.sha) ?? []);
    if (missing.length > 0 || unseen.length > 0) await refuseFileSet(ctx, p, missing, unseen);
  }
  return bySha;
}

async function refuseFileSet(ctx: AmContext, p: Patch, missing: string[], unseen: string[]): Promise<never> {
  await resetTo(ctx.worktree, ctx.base.base, ctx.signal);
  const label = `patch ${p.index}/${p.total} "${p.subject}" of ${ctx.input}`;
  if (unseen.length > 0) {
    ctx.stage.fail(`patch ${p.index}/${p.total} changed files its diff does not show`);
    throw new UnsafePatchError(
      `Refusing ${label}: git am changed ${unseen.map((f) => JSON.stringify(f)).join(', ')}, which the diff hmmci checked does not name (a file section hidden from the scan). Nothing was applied; the worktree was reset to the base. Check where this series came from.`,
      unseen.map((f) => `git committed ${f}, not named by the checked diff`),
    );
  }
  ctx.stage.fail(`patch ${p.index}/${p.total} lost files`);
  const failure: ApplyFailure = {
    index: p.index,
    total: p.total,
    subject: p.subject,
    failures: missing.map((file) => ({
      file,
      reason: 'corrupt' as const,
      explanation: 'git am committed the patch without this file (a corrupt or cut binary patch?)',
    })),
    appliedFiles: [],
    gitOutput: `files the diff names that git did not commit: ${missing.join(', ')}`,
  };
  throw new ApplyError(
    `Patch ${p.index}/${p.total} "${p.subject}" of ${ctx.input} names ${missing.map((f) => JSON.stringify(f)).join(', ')}, but git am committed it without ${missing.length === 1 ? 'that file' : 'those files'} (a corrupt or cut-short section, e.g. a GIT binary patch). Nothing was applied; the worktree was reset to the base. Get the series again (b4 am, or lore's raw mbox) and retry.`,
    failure,
    {
      command: ['git', 'am', '-3', `<patch ${p.index}/${p.total}>`],
      details: missing.map((f) => `${f}: named by the diff, not in the commit`),
    },
  );
}

/** Every symlink the series made or changed must resolve inside the worktree; else reset and refuse. */
async function checkLinks(ctx: AmContext, head: string): Promise<void> {
  const escapes = await escapingLinks(ctx.worktree, ctx.base.base, head, ctx.signal);
  ctx.signal?.throwIfAborted();
  if (escapes.length === 0) return;
  await resetTo(ctx.worktree, ctx.base.base, ctx.signal);
  ctx.stage.fail('a symlink leaves the worktree');
  const first = escapes[0]!;
  throw new UnsafePatchError(
    `Refusing to apply ${ctx.input}: after git am, the symlink ${first.path} -> ${JSON.stringify(first.target)} ${first.why}. The build reads through symlinks, so it could read files outside the kernel tree; a patch must only make links inside it. Nothing was applied; the worktree was reset to the base. Check where this series came from.`,
    escapes.map((e) => `${e.path} -> ${JSON.stringify(e.target)}: ${e.why}`),
  );
}

async function baseOf(worktree: string, base: BaseChoice | string | undefined, head: string): Promise<BaseChoice> {
  if (base === undefined) return { base: head, source: 'baseline', reason: "the worktree's checked-out commit" };
  if (typeof base !== 'string') return base;
  const sha = await commitSha(worktree, base);
  if (!sha) throw new TreeError(`The base ${base} is not a commit of the worktree ${worktree}.`);
  return {
    base: sha,
    source: 'option',
    reason: sha.startsWith(base) ? 'the requested base' : `the requested base ${base}`,
  };
}

async function abortAmIfAny(worktree: string): Promise<void> {
  const gitDir = (await gitMaybe(worktree, ['rev-parse', '--git-dir']))?.trim();
  const dir = gitDir ? (gitDir.startsWith('/') ? gitDir : join(worktree, gitDir)) : undefined;
  if (dir && existsSync(join(dir, 'rebase-apply'))) {
    await amGit(worktree)
      .raw(['am', '--abort'])
      .catch(() => undefined);
    if (existsSync(join(dir, 'rebase-apply'))) rmSync(join(dir, 'rebase-apply'), { recursive: true, force: true });
  }
}

async function resetTo(worktree: string, rev: string, signal?: AbortSignal): Promise<void> {
  await git(worktree, ['checkout', '-q', '--detach', '-f', rev], {
    what: `resetting ${worktree} to ${rev.slice(0, 12)}`,
    signal,
  });
  await git(worktree, ['clean', '-fdq'], { signal });
}

/** Ask git apply why the patch does not apply at the current HEAD. */
async function diagnose(
  worktree: string,
  p: Patch,
  file: string,
  amOutput: string,
  signal?: AbortSignal,
): Promise<ApplyFailure> {
  const check = async (args: string[]) => {
    const out = await gitCapture(worktree, ['apply', '--check', ...args, file], signal);
    return { ok: !/^error:/m.test(out), out };
  };
  const forward = await check(['-v', '--reject']);
  const reverseApplies = new Set<string>();
  const similar = new Map<string, string[]>();
  for (const c of p.changes) {
    const path = changedPath(c);
    if (!path) continue;
    const rev = await check(['--reverse', `--include=${path}`]);
    if (rev.ok && !/error:/.test(rev.out)) reverseApplies.add(path);
    if (!c.isNew && !(await gitMaybe(worktree, ['ls-files', '--error-unmatch', '--', path]))) {
      similar.set(path, await similarFiles(worktree, path));
    }
  }
  let failures = explainApplyFailure(p, { forward: forward.out, reverseApplies, similar });
  if (failures.length === 0) {
    // git apply alone would apply it: the failure was in am (3-way merge conflict, mail parse).
    failures = [
      {
        file: '(patch)',
        reason: 'other',
        explanation: `git am failed: ${amOutput.trim().split('\n').slice(-3).join(' / ')}`,
      },
    ];
  }
  return {
    index: p.index,
    total: p.total,
    subject: p.subject,
    failures,
    appliedFiles: cleanFiles(p, failures),
    gitOutput: `${amOutput}\n--- git apply --check -v --reject:\n${forward.out}`,
  };
}

/**
 * Run git and return everything it printed (stdout and stderr): `git apply --check` explains a
 * failure on stderr, which simple-git's raw() does not return.
 */
async function gitCapture(worktree: string, args: string[], signal?: AbortSignal): Promise<string> {
  let captured = '';
  const g = amGit(worktree, signal);
  g.outputHandler((_cmd, stdout, stderr) => {
    stdout.on('data', (c: Buffer) => (captured += c.toString('utf8')));
    stderr.on('data', (c: Buffer) => (captured += c.toString('utf8')));
  });
  try {
    await g.raw(args);
  } catch (err) {
    if (!captured) captured = err instanceof Error ? err.message : String(err);
  }
  return captured;
}

/** Tracked files with the same name stem as a missing one (hmm.txt → Documentation/mm/hmm.rst). */
async function similarFiles(worktree: string, path: string): Promise<string[]> {
  const name = path.split('/').pop() ?? '';
  const stem = name.replace(/\.[^.]*$/, '');
  if (!stem || /[*?[\]\\:]/.test(stem)) return [];
  const out = await gitMaybe(worktree, ['ls-files', '-z', '--', `:(glob)**/${stem}.*`, `:(glob)**/${name}`]);
  const dirs = path.split('/').slice(0, -1);
  const shared = (f: string) =>
    f
      .split('/')
      .slice(0, -1)
      .filter((d) => dirs.includes(d)).length;
  return [...new Set((out ?? '').split('\0').filter(Boolean))]
    .filter((f) => f !== path)
    .sort((a, b) => shared(b) - shared(a) || a.localeCompare(b))
    .slice(0, 5);
}
