/**
 * Where the watcher's durable state lives (position, series being assembled, outcomes), behind a
 * small interface. The default is the history database (history-store.ts). StateFileStore is the
 * JSON state file older versions kept (written atomically and fsynced: temp file + rename); it
 * stays for the one-time import of such a file into the database, and as a store for tests.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { BadInputError } from '../common/errors.js';
import type { RunRecord } from '../report/record.js';
import { emptyState, type WatchState } from './types.js';

export interface SaveExtra {
  /** The run whose result this save records: stored with the state in one transaction where the store can. */
  record?: RunRecord;
  /** The state was saved but the run's rows could not be (the history keeps the run directory for an import). */
  onRecordError?: (record: RunRecord) => void;
}

export interface PositionStore {
  /** Human-readable location, for messages. */
  readonly location: string;
  /** The saved state, or a fresh one for `source` when nothing was saved yet. */
  load(source: string): WatchState;
  /** Persist the whole state durably before returning (with the run's result, when given). */
  save(state: WatchState, extra?: SaveExtra): void;
  close?(): void;
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
