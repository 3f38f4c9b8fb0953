/**
 * Where the watcher's durable state lives (position, series being assembled, outcomes). Behind
 * a small interface so it can move into the history database (issue 14) without touching the
 * watcher: today a JSON state file, written atomically and fsynced (temp file + rename), so a
 * kill -9 at any point leaves either the old or the new state, never half of one.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { BadInputError } from '../common/errors.js';
import { emptyState, type WatchState } from './types.js';

export interface PositionStore {
  /** Human-readable location, for messages. */
  readonly location: string;
  /** The saved state, or a fresh one for `source` when nothing was saved yet. */
  load(source: string): WatchState;
  /** Persist the whole state durably before returning. */
  save(state: WatchState): void;
}

export class StateFileStore implements PositionStore {
  readonly location: string;
  constructor(readonly dir: string) {
    this.location = join(dir, 'state.json');
  }

  load(source: string): WatchState {
    let text: string;
    try {
      text = readFileSync(this.location, 'utf8');
    } catch {
      return emptyState(source);
    }
    let state: WatchState;
    try {
      state = JSON.parse(text) as WatchState;
    } catch (err) {
      throw new BadInputError(
        `The watch state ${this.location} is not valid JSON (${(err as Error).message}). It is only written atomically, so something else changed it: restore it, or move it away to start over (every series would be seen again).`,
      );
    }
    if (state.schema !== 1 || state.source !== source) {
      throw new BadInputError(
        `The watch state ${this.location} belongs to ${JSON.stringify(state.source)}, not ${JSON.stringify(source)}. Give each inbox its own --state DIR.`,
      );
    }
    return state;
  }

  save(state: WatchState): void {
    mkdirSync(this.dir, { recursive: true });
    const tmp = join(dirname(this.location), `.${basename(this.location)}.${process.pid}.tmp`);
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, JSON.stringify(state));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.location);
    const d = openSync(this.dir, 'r');
    try {
      fsyncSync(d);
    } finally {
      closeSync(d);
    }
  }
}
