/**
 * Run a benchmark's `main` as a script: the status it returns is the exit status; an exception
 * is printed with its stack under the script's name, and the exit status is 1.
 */
export function runScript(name: string, main: () => Promise<number>): void {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`${name} failed: ${(err as Error)?.stack ?? String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
