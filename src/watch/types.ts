/** Data of the watcher: its durable state (position, series being assembled, outcomes). Plain JSON. */
import type { FollowUpTrailer } from './mail-meta.js';

export type SeriesStatus =
  /** Parts still arriving. */
  | 'collecting'
  /** Complete, touches HMM, waiting for the queue. */
  | 'queued'
  | 'running'
  /** Result recorded; the reply and check records are written next. */
  | 'tested'
  /** Result recorded and the answers written: done. */
  | 'answered'
  /** Not tested, for a reason (not HMM, patch bomb, duplicate of a tested series…). */
  | 'skipped'
  /** Parts missing after --settle: recorded once, no reply. */
  | 'incomplete'
  /** A newer version arrived before (or while) it was tested. */
  | 'superseded';

export const FINISHED: readonly SeriesStatus[] = ['answered', 'skipped', 'incomplete', 'superseded'];

export interface PartRef {
  messageId: string;
  /** Stored raw mail, relative to the state directory. */
  file: string;
  subject: string;
  files: string[];
}

export interface ReplyTarget {
  messageId: string;
  references: string[];
  subject: string;
  from: string;
  to: string;
  cc: string;
}

export interface SeriesEntry {
  /** `<root message-id> vN`: the series version's identity (cover or first patch). */
  key: string;
  rootId: string;
  version: number;
  total: number;
  title: string;
  author: string;
  /** Author address + normalised title: versions of one series share it (supersede). */
  identity: string;
  rfc: boolean;
  resend: boolean;
  cover?: PartRef;
  /** N → part (1-based). */
  parts: Record<string, PartRef>;
  /** The mail a reply answers (the cover, else patch 1). */
  replyTo?: ReplyTarget;
  firstSeenAt: number;
  lastPartAt: number;
  status: SeriesStatus;
  reason?: string;
  attempts: number;
  runId?: string;
  runDir?: string;
  exitCode?: number;
  summary?: string;
  /** Hash of the patches' files and subjects: a RESEND of identical patches is not tested again. */
  contentHash?: string;
  supersededBy?: string;
  supersedes?: { key: string; how: 'not-run' | 'cancelled' | 'tested'; runId?: string };
  trailers: FollowUpTrailer[];
  answers?: { reply?: string; checks: number };
}

/** A source's durable position: per public-inbox epoch the last commit read, or Maildir names seen. */
export interface SourcePosition {
  epochs?: Record<string, string>;
  maildir?: string[];
}

export interface WatchState {
  schema: 1;
  /** The inbox or Maildir this state follows. */
  source: string;
  position: SourcePosition;
  series: Record<string, SeriesEntry>;
  /** Message-ID of each patch / cover of an unfinished series → series key (threading, trailers). */
  messages: Record<string, string>;
  /** Messages read so far (all kinds). */
  scanned: number;
}

export function emptyState(source: string): WatchState {
  return { schema: 1, source, position: {}, series: {}, messages: {}, scanned: 0 };
}
