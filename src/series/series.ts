/**
 * Decoded mails → a Series: which mail is the cover letter, which are patches, which are replies;
 * order by N/M; warnings for missing patches, duplicates, mixed versions, non-patches, reordering,
 * truncation and series that touch no HMM file. Pure: plain data in, plain data out.
 */
import {
  baseInfo,
  findDiffStart,
  hunkRange,
  overlongHunks,
  patchFileStats,
  splitBody,
  truncatedHunks,
} from './diff.js';
import { isHmmPath } from './hmm-areas.js';
import { isoDate } from './headers.js';
import { mailinfoSubject } from './mailinfo.js';
import { MAX_MIME_DEPTH } from './mime.js';
import { parseSubject } from './subject.js';
import { parseTrailers } from './trailers.js';
import type { MailMessage, Patch, Series, SeriesJson, SeriesSourceKind, SeriesWarning, SubjectInfo } from './types.js';

interface Candidate {
  mail: MailMessage;
  subject: SubjectInfo;
  patch: Omit<Patch, 'index' | 'total'>;
}

type Cover = { mail: MailMessage; subject: SubjectInfo };
type Numbered = Candidate & { index: number };

/** The mails sorted into cover letters and patch candidates, with the base the series names. */
interface Sorted {
  candidates: Candidate[];
  covers: Cover[];
  baseCommit: string | undefined;
  prerequisitePatchIds: string[];
}

export function buildSeries(mails: readonly MailMessage[], source: { kind: SeriesSourceKind; input: string }): Series {
  const warnings: SeriesWarning[] = [];
  const sorted = sortMails(mails, warnings);
  const candidates = dropUnnumbered(sorted.candidates, warnings);
  const { chosen, version, cover } = chooseVersion(candidates, sorted.covers, warnings);
  const { patches, numbered, total, byIndex } = numberPatches(chosen, cover, warnings);
  if (numbered && patches.length > 0) missingWarning(byIndex, total, warnings);
  damageWarnings(patches, warnings);
  const touchesHmm = hmmWarning(patches, warnings);
  return {
    source,
    cover: cover ? { subject: cover.subject.title, messageId: cover.mail.messageId, body: cover.mail.body } : null,
    version,
    baseCommit: sorted.baseCommit ?? null,
    prerequisitePatchIds: sorted.prerequisitePatchIds,
    patches,
    warnings,
    touchesHmm,
  };
}

/** Every mail in input order: a reply or a mail without a diff is ignored (warned), 0/N is a cover. */
function sortMails(mails: readonly MailMessage[], warnings: SeriesWarning[]): Sorted {
  const out: Sorted = { candidates: [], covers: [], baseCommit: undefined, prerequisitePatchIds: [] };
  for (const mail of mails) {
    const subject = parseSubject(mail.subject);
    const split = splitBody(mail.body);
    const base = baseInfo(mail.body);
    const hasDiff = split.changes.length > 0;
    const extra = embeddedMails(mail.body);
    if (extra > 0) {
      warnings.push({
        kind: 'merged-messages',
        message: `${describe(mail)} has ${extra} more mail header block${extra === 1 ? '' : 's'} (From:/Subject:/Date:) in its body: several mails may have been read as one, because the input's message separators were not recognised. Check the input (an mbox needs "From " lines between messages).`,
      });
    }
    if (subject.isReply) {
      warnings.push({
        kind: 'not-a-patch',
        message: `${describe(mail)} is a reply${hasDiff ? ' (it contains a diff, but replies are not part of the series)' : ''}; ignored.`,
      });
      continue;
    }
    // 0/N is the cover letter, even when it carries a diff (format-patch --interdiff/--range-diff).
    if (subject.index === 0 || (!hasDiff && looksLikeCover(mail, subject, base.baseCommit))) {
      out.covers.push({ mail, subject });
      if (base.baseCommit) out.baseCommit ??= base.baseCommit;
      if (base.prerequisitePatchIds.length) out.prerequisitePatchIds = base.prerequisitePatchIds;
      continue;
    }
    if (!hasDiff) {
      warnings.push({
        kind: 'not-a-patch',
        message: mail.nestedTooDeep
          ? `${describe(mail)} has MIME parts nested too deeply (more than ${MAX_MIME_DEPTH} multipart levels); hmmci does not read that far, so no diff was found in it; ignored. Ask for the patch as a plain \`git format-patch\` mail.`
          : `${describe(mail)} has no diff in it; ignored.`,
      });
      continue;
    }
    if (base.baseCommit) out.baseCommit ??= base.baseCommit;
    if (base.prerequisitePatchIds.length && out.prerequisitePatchIds.length === 0)
      out.prerequisitePatchIds = base.prerequisitePatchIds;
    out.candidates.push({ mail, subject, patch: patchOf(mail, subject, split, base) });
  }
  return out;
}

function patchOf(
  mail: MailMessage,
  subject: SubjectInfo,
  split: ReturnType<typeof splitBody>,
  base: ReturnType<typeof baseInfo>,
): Candidate['patch'] {
  return {
    subject: mailinfoSubject(mail.subject),
    rawSubject: mail.subject,
    author: mail.from,
    date: isoDate(mail.date) ?? null,
    rawDate: mail.date,
    messageId: mail.messageId,
    version: subject.version ?? 1,
    message: split.message,
    trailers: parseTrailers(split.message),
    files: patchFileStats(split.diff, split.changes),
    changes: split.changes,
    diff: split.diff,
    body: mail.body,
    ...(mail.inBody ? { inBody: mail.inBody } : {}),
    notes: split.notes,
    baseCommit: base.baseCommit,
    prerequisitePatchIds: base.prerequisitePatchIds,
    origin: mail.origin,
  };
}

/** An unnumbered [PATCH] among numbered ones (a fixup posted in the thread) is not part of the series. */
function dropUnnumbered(candidates: Candidate[], warnings: SeriesWarning[]): Candidate[] {
  if (!candidates.some((c) => c.subject.index !== undefined)) return candidates;
  for (const c of candidates.filter((x) => x.subject.index === undefined)) {
    warnings.push({
      kind: 'not-a-patch',
      message: `${describe(c.mail)} has no N/M number in a numbered series, so it is not part of the series (a fixup or a separate patch posted in the thread); ignored. Apply it separately if it belongs.`,
    });
  }
  return candidates.filter((c) => c.subject.index !== undefined);
}

/** A point version (`[PATCH v2.1 03/12]`, a corrected patch posted in the v2 thread) belongs to v2. */
const major = (v: number) => Math.floor(v);

/** Versions: never mix code from two postings; keep the newest (and its cover letter). */
function chooseVersion(
  candidates: Candidate[],
  covers: Cover[],
  warnings: SeriesWarning[],
): { chosen: Candidate[]; version: number; cover: Cover | undefined } {
  const versions = [...new Set(candidates.map((c) => major(c.patch.version)))].sort((a, b) => a - b);
  let chosen = candidates;
  const version = versions[versions.length - 1] ?? covers[0]?.subject.version ?? 1;
  if (versions.length > 1) {
    const byVersion = versions.map(
      (v) =>
        `v${v} (${candidates
          .filter((c) => major(c.patch.version) === v)
          .map(label)
          .join(', ')})`,
    );
    warnings.push({
      kind: 'mixed-versions',
      message: `The input mixes versions of the series: ${byVersion.join('; ')}. Using v${version} only; get the complete v${version} (b4 am -v ${version} <message-id>) to test all of it.`,
    });
    chosen = candidates.filter((c) => major(c.patch.version) === version);
  }
  const cover =
    covers.find((c) => major(c.subject.version ?? 1) === version) ?? (versions.length <= 1 ? covers[0] : undefined);
  return { chosen, version, cover };
}

/** Numbering: N/M from subjects; unnumbered patches take their place in the input. */
function numberPatches(
  chosen: Candidate[],
  cover: Cover | undefined,
  warnings: SeriesWarning[],
): { patches: Patch[]; numbered: boolean; total: number; byIndex: Map<number, Numbered> } {
  const numbered = chosen.every((c) => c.subject.index !== undefined);
  const totals = [...new Set(chosen.map((c) => c.subject.total).filter((x): x is number => x !== undefined))];
  if (totals.length > 1) {
    warnings.push({
      kind: 'total-mismatch',
      message: `The patches disagree on the series length (${totals.map((x) => `/${x}`).join(', ')}); using the largest.`,
    });
  }
  const total = numbered
    ? Math.max(...totals, cover?.subject.total ?? 0, new Set(chosen.map((c) => c.subject.index)).size)
    : chosen.length;
  const ordered: Numbered[] = numbered
    ? chosen.map((c) => ({ ...c, index: c.subject.index as number }))
    : chosen.map((c, i) => ({ ...c, index: i + 1 }));
  orderWarning(ordered, total, warnings);
  const byIndex = dedupe(ordered, total, warnings);
  const patches: Patch[] = [...byIndex.values()]
    .sort((a, b) => a.index - b.index)
    .map((c) => ({ ...c.patch, index: c.index, total }));
  return { patches, numbered, total, byIndex };
}

/** Out of order: the input's order is not the N/M order. */
function orderWarning(ordered: Numbered[], total: number, warnings: SeriesWarning[]): void {
  const inputOrder = ordered.map((c) => c.index);
  const sortedOrder = [...inputOrder].sort((a, b) => a - b);
  if (inputOrder.join(',') !== sortedOrder.join(',')) {
    warnings.push({
      kind: 'out-of-order',
      message: `The patches come in the order ${inputOrder.map((n) => `${n}/${total}`).join(', ')}; applying them in N/M order.`,
    });
  }
}

/** Duplicates: the later copy wins (a RESEND or a corrected copy comes later), unless older in version. */
function dedupe(ordered: Numbered[], total: number, warnings: SeriesWarning[]): Map<number, Numbered> {
  const byIndex = new Map<number, Numbered>();
  for (const c of ordered) {
    const prev = byIndex.get(c.index);
    if (prev) {
      const same = prev.patch.diff === c.patch.diff;
      const keepPrev = prev.patch.version > c.patch.version;
      const pointVersion = prev.patch.version !== c.patch.version;
      warnings.push({
        kind: 'duplicate',
        message: `Patch ${c.index}/${total} appears more than once (${prev.mail.origin}, ${c.mail.origin})${same ? ', with the same diff' : ' with different diffs'}; using ${pointVersion ? `v${Math.max(prev.patch.version, c.patch.version)}` : 'the later one'}.`,
      });
      if (keepPrev) continue;
    }
    byIndex.set(c.index, c);
  }
  return byIndex;
}

function missingWarning(byIndex: Map<number, Numbered>, total: number, warnings: SeriesWarning[]): void {
  const missing: number[] = [];
  for (let n = 1; n <= total; n++) if (!byIndex.has(n)) missing.push(n);
  if (missing.length) {
    warnings.push({
      kind: 'missing-patch',
      message: `Missing from the input: ${missing.map((n) => `${n}/${total}`).join(', ')}. Later patches may not apply without them; fetch the whole thread (lore's t.mbox.gz, or b4 am).`,
    });
  }
}

/** Unreadable dates and cut-short hunks (per patch), then hand-edited hunks (all patches). */
function damageWarnings(patches: readonly Patch[], warnings: SeriesWarning[]): void {
  for (const p of patches) {
    if (p.date === null) {
      warnings.push({
        kind: 'bad-date',
        message: `Patch ${p.index}/${p.total} (${p.subject}) has ${p.rawDate ? `a Date header hmmci cannot read (${JSON.stringify(p.rawDate.slice(0, 80))})` : 'no Date header'}; its date is shown as null${p.rawDate ? ' and git am will refuse it ("invalid date format")' : ''}.`,
      });
    }
    for (const t of truncatedHunks(p.changes)) {
      warnings.push({
        kind: 'truncated',
        message:
          t.hunk.endedBy !== undefined
            ? `Patch ${p.index}/${p.total} (${p.subject}) is corrupt: hunk ${hunkRange(t.hunk)} of ${t.file} promises ${t.hunk.oldLines} old/${t.hunk.newLines} new lines but has ${t.hunk.oldSeen}/${t.hunk.newSeen} before ${JSON.stringify(t.hunk.endedBy.slice(0, 60))} (edited by hand or mangled). It will not be applied.`
            : `Patch ${p.index}/${p.total} (${p.subject}) is cut short: hunk ${hunkRange(t.hunk)} of ${t.file} promises ${t.hunk.oldLines} old/${t.hunk.newLines} new lines, the input ends after ${t.hunk.oldSeen}/${t.hunk.newSeen}.`,
      });
    }
  }
  for (const p of patches) {
    for (const o of overlongHunks(p.changes)) {
      warnings.push({
        kind: 'corrupt',
        message: `Patch ${p.index}/${p.total} (${p.subject}) is corrupt: hunk ${hunkRange(o.hunk)} of ${o.file} has more lines than its header says (${JSON.stringify((o.hunk.excess ?? '').slice(0, 60))} follows its last line); it was edited by hand. It will not be applied.`,
      });
    }
  }
}

/** Whether the series touches an HMM file; a warning when it touches none. */
function hmmWarning(patches: readonly Patch[], warnings: SeriesWarning[]): boolean {
  const touchesHmm = patches.some(
    (p) => p.files.some((f) => isHmmPath(f.path)) || p.changes.some((c) => isHmmPath(c.from) || isHmmPath(c.to)),
  );
  if (patches.length > 0 && !touchesHmm) {
    const files = [...new Set(patches.flatMap((p) => p.files.map((f) => f.path)))];
    warnings.push({
      kind: 'not-hmm',
      message: `The series touches none of the HMM files (mm/hmm.c, mm/migrate_device.c, mm/memremap.c, include/linux/{hmm,migrate,memremap}.h, lib/test_hmm*, hmm-tests.c): it changes ${files.slice(0, 5).join(', ')}${files.length > 5 ? ', …' : ''}. hmm-tests will run, but they may not exercise it.`,
    });
  }
  return touchesHmm;
}

/**
 * A message without a diff and without 0/N that is the cover letter all the same: format-patch's
 * `*** SUBJECT HERE ***` placeholder, or (`--no-numbered --cover-letter --base`) a [PATCH] mail
 * that starts the thread and carries `base-commit:`.
 */
function looksLikeCover(mail: MailMessage, subject: SubjectInfo, baseCommit: string | undefined): boolean {
  if (/\*\*\* SUBJECT HERE \*\*\*/.test(mail.subject) || /^\*\*\* BLURB HERE \*\*\*$/m.test(mail.body)) return true;
  return subject.isPatchTagged && !mail.inReplyTo && baseCommit !== undefined;
}

/**
 * Other mails inside a body (several mails read as one because their separators were not
 * recognised): a header block (From: with Subject: and Date:/Message-ID: a few lines around)
 * that starts a message, i.e. comes right after a `From ` separator line or after the diff has
 * begun. A header block quoted in a commit message (git's sample mail 0002 quotes one) is text.
 */
export function embeddedMails(body: string): number {
  const lines = body.split('\n');
  const diffStart = findDiffStart(lines);
  let n = 0;
  for (let i = 0; i < lines.length; i++) {
    if (!/^From: \S/.test(lines[i] ?? '')) continue;
    const near = lines.slice(Math.max(0, i - 8), i + 12);
    if (!near.some((l) => /^Subject: /.test(l)) || !near.some((l) => /^(Date|Message-I[Dd]): /.test(l))) continue;
    let top = i;
    while (top > 0 && /^[A-Za-z-]+: |^[ \t]/.test(lines[top - 1] ?? '')) top--;
    const separated = top > 0 && /^>*From [^:]/.test(lines[top - 1] ?? '');
    if (separated || (diffStart >= 0 && i > diffStart)) {
      n++;
      i += 12;
    }
  }
  return n;
}

function label(c: Candidate): string {
  return c.subject.index !== undefined ? `${c.subject.index}/${c.subject.total ?? '?'}` : c.mail.subject;
}

function describe(mail: MailMessage): string {
  return `${mail.origin} ("${mail.subject.length > 70 ? `${mail.subject.slice(0, 67)}...` : mail.subject}"${mail.from ? ` from ${mail.from}` : ''})`;
}

/** The `hmmci series show --json` contract: exactly these names (issue 3). */
export function toSeriesJson(series: Series): SeriesJson {
  return {
    cover: series.cover ? { subject: series.cover.subject, messageId: series.cover.messageId } : null,
    version: series.version,
    baseCommit: series.baseCommit,
    patches: series.patches.map((p) => ({
      index: p.index,
      total: p.total,
      subject: p.subject,
      author: p.author,
      date: p.date,
      messageId: p.messageId,
      files: p.files.map((f) => ({ path: f.path, additions: f.additions, deletions: f.deletions })),
      trailers: p.trailers.map((t) => ({ key: t.key, value: t.value })),
    })),
  };
}
