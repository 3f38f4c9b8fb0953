/**
 * The stages a worker runs in the fleet's unit and fault tests (loaded through HMMCI_FLEET_STAGES):
 * every stage is the real one (tree from a fake-kernel tarball, git am, configure, make of the fake
 * kernel), except the boot. The fake kernel's "bzImage" is a host program, which QEMU cannot boot,
 * so the guest is a stand-in: a real qemu-system-x86_64 process with no machine (-machine none) in
 * its own process group, registered with cleanup like the real guest, held for
 * HMMCI_FAKE_GUEST_MS; then the console log is the real capture named by a
 * `HMMCI_FAKE_CONSOLE=<log>` string built into the kernel (fixtures/logs/<log>.log, default
 * clean-58-pass), parsed by the real parser.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { onCleanup } from '../../../src/common/cleanup.js';
import { parseConsole } from '../../../src/results/parser.js';
import { realStages } from '../../../src/stages/real-stages.js';
import type { Stages } from '../../../src/stages/types.js';

const LOGS = fileURLToPath(new URL('../../../fixtures/logs/', import.meta.url));

export function fleetStages(): Stages {
  const real = realStages();
  return {
    ...real,
    async test(req) {
      const image = readFileSync(join(req.buildDir, 'arch/x86/boot/bzImage')).toString('latin1');
      const name = /HMMCI_FAKE_CONSOLE=([a-z0-9-]+)/.exec(image)?.[1] ?? 'clean-58-pass';
      const dir = req.logDir ?? join(req.buildDir, 'guest');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'kernel.txt'), `${req.buildDir}\n`);
      const qemu = execa(
        'qemu-system-x86_64',
        [
          '-machine',
          'none',
          '-nodefaults',
          '-display',
          'none',
          '-monitor',
          'none',
          '-serial',
          'none',
          '-name',
          `hmmci-fake-guest:${req.buildDir}`,
        ],
        { detached: true, reject: false, stdio: 'ignore' },
      );
      const pid = qemu.pid;
      const killGroup = () => {
        try {
          if (pid) process.kill(-pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      };
      const unregister = onCleanup(`fake guest ${pid}`, killGroup);
      await sleep(Number(process.env.HMMCI_FAKE_GUEST_MS ?? 300));
      killGroup();
      await qemu;
      unregister();
      const consoleLogPath = join(dir, 'console.log');
      copyFileSync(join(LOGS, `${name}.log`), consoleLogPath);
      const parsed = await parseConsole(readFileSync(consoleLogPath, 'utf8'));
      return {
        ok: true,
        result: { tests: parsed.tests, counts: parsed.counts, events: parsed.events },
        consoleLogPath,
        accel: 'tcg',
        runner: req.runner,
      };
    },
  };
}
