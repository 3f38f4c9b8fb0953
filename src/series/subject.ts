import type { SubjectInfo } from './types.js';

/**
 * Parse a patch subject: `Re:`/`Fwd:` markers, then bracketed groups at the start
 * (`[PATCH v3 2/5]`, `[RFC PATCH mm-unstable]`, `[PATCHv2 01/10]`, `[PATCH] [RFC]`). Pure.
 */
export function parseSubject(raw: string): SubjectInfo {
  let s = raw.replace(/\s+/g, ' ').trim();
  let isReply = false;
  for (;;) {
    const m = /^(re|aw|sv|fwd?)\s*:\s*/i.exec(s);
    if (!m) break;
    if (/^re|aw|sv/i.test(m[1] ?? '')) isReply = true;
    s = s.slice(m[0].length);
  }
  const words: string[] = [];
  const prefixes: string[] = [];
  for (;;) {
    const m = /^\[([^\]]*)\]\s*/.exec(s);
    if (!m) break;
    prefixes.push(`[${m[1]}]`);
    words.push(...(m[1] ?? '').split(/[\s,]+/).filter(Boolean));
    s = s.slice(m[0].length);
  }
  // `Re: [PATCH …]` may also appear after the brackets of a list tag: `[mm] Re: …`.
  const late = /^(re)\s*:\s*/i.exec(s);
  if (late) {
    isReply = true;
    s = s.slice(late[0].length);
  }
  const info: SubjectInfo = {
    title: s.trim(),
    prefix: prefixes.join(' '),
    isReply,
    isPatchTagged: false,
    rfc: false,
    resend: false,
    tags: [],
  };
  for (const w of words) {
    const upper = w.toUpperCase();
    let m: RegExpExecArray | null;
    if ((m = /^PATCH(?:V(\d+(?:\.\d+)?))?$/i.exec(w))) {
      info.isPatchTagged = true;
      if (m[1]) info.version = Number(m[1]);
    } else if (upper === 'RFC' || upper === 'RFT') {
      info.rfc = true;
      info.isPatchTagged = true;
    } else if (upper === 'RESEND') info.resend = true;
    else if ((m = /^v(\d+(?:\.\d+)?)$/i.exec(w))) info.version = Number(m[1]);
    else if ((m = /^(\d+)\/(\d+)$/.exec(w))) {
      info.index = Number(m[1]);
      info.total = Number(m[2]);
    } else info.tags.push(w);
  }
  return info;
}
