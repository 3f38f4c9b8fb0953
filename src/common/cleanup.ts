/**
 * Everything a run starts that must not outlive it (QEMU guests, worktrees, locks) registers an
 * undo action here. On SIGINT/SIGTERM, or when the CLI exits on an error, the actions run newest
 * first, so no QEMU is orphaned and no half-applied worktree is left behind.
 */
type Action = () => Promise<void> | void;

const actions = new Map<number, { what: string; fn: Action }>();
let nextId = 1;
let installed = false;
let interruptedBy: string | undefined;
const abort = new AbortController();

export function onCleanup(what: string, fn: Action): () => void {
  const id = nextId++;
  actions.set(id, { what, fn });
  return () => {
    actions.delete(id);
  };
}

/** Run and forget every registered action, newest first. Errors are collected, never thrown. */
export async function runCleanup(): Promise<string[]> {
  const errors: string[] = [];
  const list = [...actions.entries()].reverse();
  actions.clear();
  for (const [, a] of list) {
    try {
      await a.fn();
    } catch (err) {
      errors.push(`${a.what}: ${(err as Error).message}`);
    }
  }
  return errors;
}

/** Signal aborted when SIGINT/SIGTERM arrives: long operations pass it to execa as cancelSignal. */
export function interruptSignal(): AbortSignal {
  return abort.signal;
}

export function interruptedSignalName(): string | undefined {
  return interruptedBy;
}

/** Install SIGINT/SIGTERM handlers once (CLI only; the library never installs handlers itself). */
export function installSignalHandlers(onInterrupt?: (signal: string) => void): void {
  if (installed) return;
  installed = true;
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      if (interruptedBy) {
        process.exit(130);
      }
      interruptedBy = sig;
      onInterrupt?.(sig);
      abort.abort(new Error(`interrupted by ${sig}`));
      void runCleanup().finally(() => process.exit(130));
    });
  }
}
