import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HmmciError } from '../common/errors.js';
import { ExitCode } from '../common/exit-codes.js';
import { configValues, parseFragment } from '../kconfig/fragment.js';
import { kernelConfigsDir } from '../kconfig/key.js';

export type RunnerName = 'qemu' | 'vng';

/** kernel-configs/vng.config: what a virtme-ng guest needs on top of hmmci's default config. */
export function vngFragment(): string {
  return join(kernelConfigsDir(), 'vng.config');
}

/**
 * Fragments a runner adds after hmmci's defaults (and before the user's --kconfig): none for
 * QEMU, vng.config for virtme-ng. Part of the config key, so qemu and vng builds never share a
 * slot, build directory or baseline.
 */
export function runnerFragments(runner: RunnerName | string | undefined): string[] {
  return runner === 'vng' ? [vngFragment()] : [];
}

/**
 * The options of vng.config that `<buildDir>/.config` lacks (empty when it has them all, or when
 * the build directory has no .config to read). Pure over the two files.
 */
export function missingVngOptions(buildDir: string, fragment = vngFragment()): string[] {
  const configPath = join(buildDir, '.config');
  if (!existsSync(configPath)) return [];
  const have = configValues(readFileSync(configPath, 'utf8'));
  const want = parseFragment(readFileSync(fragment, 'utf8'), fragment).entries;
  return want.filter((e) => (have.get(e.name) ?? 'n') !== e.value).map((e) => `CONFIG_${e.name}=${e.value}`);
}

/**
 * A kernel built without vng.config cannot boot under virtme-ng (no virtio, no 9p root, no
 * script ports): say so before booting it, instead of a panic two minutes later.
 */
export function assertVngConfig(buildDir: string): void {
  const missing = missingVngOptions(buildDir);
  if (missing.length === 0) return;
  throw new HmmciError(
    `The kernel in ${buildDir} was not configured for virtme-ng: its .config lacks ${missing.slice(0, 6).join(', ')}${missing.length > 6 ? ` and ${missing.length - 6} more` : ''} from kernel-configs/vng.config, so vng could not mount the host's root or reach the test script. Build it with the vng fragment (\`hmmci build --runner vng\`, or \`--kconfig ${vngFragment()}\`), or test it with --runner qemu.`,
    { exitCode: ExitCode.CONFIG },
  );
}
