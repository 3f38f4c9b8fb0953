/**
 * The reply mail for one tested series version: threaded under the cover letter (or patch 1),
 * addressed by policy (author only, or author + the list and Cc of the original), and carrying
 * what `hmmci run --mail` says (tested on what, the changes table, kernel events with test and
 * function, Tested-by only when nothing regressed) plus what the watcher knows: the series,
 * follow-up trailers, what it superseded, and the exact command that reproduces the run. Pure.
 */
import { createHash } from 'node:crypto';
import { renderMail } from '../report/mail.js';
import type { RunRecord } from '../report/record.js';
import type { SeriesEntry } from './types.js';

export type ReplyPolicy = 'author' | 'all';

export interface ReplyOptions {
  from: string;
  policy: ReplyPolicy;
  testedBy?: string;
  /** Host part of the reply's Message-ID. */
  domain: string;
  /** Options of the watch that the reproduction command repeats (--tree, --base, --kconfig …). */
  reproduceArgs: string[];
  now?: Date;
}

/** Header values from mail never carry line breaks or control characters into our headers. */
export function headerSafe(value: string): string {
  return value
    .replace(/[\u0000-\u001f\u007f]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 900);
}

function addresses(...lists: string[]): string[] {
  const out: string[] = [];
  for (const list of lists) {
    for (const a of list
      .split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/)
      .map((x) => headerSafe(x))
      .filter(Boolean)) {
      const bare = (/<([^<>]+)>/.exec(a)?.[1] ?? a).toLowerCase();
      if (!out.some((o) => (/<([^<>]+)>/.exec(o)?.[1] ?? o).toLowerCase() === bare)) out.push(a);
    }
  }
  return out;
}

function quoteArg(a: string): string {
  return /^[A-Za-z0-9@%+=:,./_-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

export function reproduceCommand(s: SeriesEntry, r: RunRecord, extra: readonly string[]): string {
  const base = r.series.base ? ['--base', r.series.base] : [];
  return ['hmmci', 'run', s.rootId, ...base, ...extra].map(quoteArg).join(' ');
}

function supersedeNote(s: SeriesEntry): string[] {
  const p = s.supersedes;
  if (!p) return [];
  const v = p.key.replace(/^.* v/, 'v');
  if (p.how === 'cancelled')
    return [
      `This version supersedes ${v} (${p.key.replace(/ v\d+$/, '')}), whose run was cancelled when this one arrived.`,
    ];
  if (p.how === 'not-run')
    return [
      `This version supersedes ${v} (${p.key.replace(/ v\d+$/, '')}), which was not tested: it was superseded first.`,
    ];
  return [
    `This version supersedes ${v} (${p.key.replace(/ v\d+$/, '')})${p.runId ? `, tested in run ${p.runId}` : ''}.`,
  ];
}

export function renderReply(s: SeriesEntry, r: RunRecord, opts: ReplyOptions): { text: string; messageId: string } {
  const target = s.replyTo;
  const subject = headerSafe(target?.subject ?? s.title);
  const to = addresses(target?.from ?? s.author);
  const cc = opts.policy === 'all' ? addresses(target?.to ?? '', target?.cc ?? '').filter((a) => !to.includes(a)) : [];
  const messageId = `hmmci-${r.id}-${createHash('sha1').update(s.key).digest('hex').slice(0, 8)}@${opts.domain}`;
  const refs = [...(target?.references ?? []), target?.messageId ?? s.rootId].map((id) => `<${headerSafe(id)}>`);
  const headers = [
    `From: ${headerSafe(opts.from)}`,
    `To: ${to.join(', ')}`,
    ...(cc.length ? [`Cc: ${cc.join(', ')}`] : []),
    `Subject: ${/^re:/i.test(subject) ? subject : `Re: ${subject}`}`,
    `Date: ${(opts.now ?? new Date()).toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <${messageId}>`,
    `In-Reply-To: <${headerSafe(target?.messageId ?? s.rootId)}>`,
    `References: ${refs.join(' ')}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=UTF-8',
    'Content-Transfer-Encoding: 8bit',
    'X-Mailer: hmmci watch',
  ];
  const body = renderMail(r, { testedBy: opts.testedBy }).split('\n');
  const blank = body.indexOf('');
  const intro = [
    `hmmci tested v${s.version} of this series (${s.total} patch${s.total === 1 ? '' : 'es'}${s.cover ? ' and the cover letter' : ''}) as it arrived on the list.`,
    ...supersedeNote(s),
  ];
  if (s.trailers.length) {
    intro.push('', 'Follow-up trailers given on the list so far:');
    for (const t of s.trailers) intro.push(`  ${headerSafe(`${t.key}: ${t.value}`)}`);
  }
  const signature = body.lastIndexOf('-- ');
  const main = body.slice(blank + 1, signature >= 0 ? signature : undefined);
  const tail = [
    '',
    'Reproduce with:',
    `  ${reproduceCommand(s, r, opts.reproduceArgs)}`,
    '',
    '-- ',
    `hmmci watch, run ${r.id}`,
  ];
  return {
    text: `${headers.join('\n')}\n\n${[...intro, '', ...main].join('\n').replace(/\n+$/, '\n')}${tail.join('\n')}\n`,
    messageId,
  };
}
