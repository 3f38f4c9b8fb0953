import { Option, type Command } from 'commander';
import { interruptSignal } from '../../common/cleanup.js';
import { configure, resolveConfigInputs, type ConfigInputs } from '../../kconfig/configure.js';
import { listVariants, resolveVariantSpec } from '../../kconfig/variants.js';
import { formatMissing } from '../../kconfig/validate.js';
import { resolveTree } from '../../tree/resolve.js';
import { acquireSlot } from '../../tree/slots.js';
import type { Slot } from '../../tree/types.js';
import { collect, contextFrom, type CliContext } from '../context.js';
import { runnerFragments } from '../../guest/vng-config.js';

export interface ConfigFlags {
  tree?: string;
  rev?: string;
  kconfig?: string[];
  config?: string[];
  defaults?: boolean;
  runner?: string;
  variant?: string;
}

/**
 * The configuration inputs of `hmmci config`/`hmmci build`: the defaults, --kconfig, then the
 * --variant's fragments (the order `hmmci run --variant` merges them in, so both share a slot),
 * then --config and the variant's options.
 */
export function configInputsFrom(opts: ConfigFlags): ConfigInputs {
  const v = opts.variant ? resolveVariantSpec(opts.variant) : undefined;
  return resolveConfigInputs({
    kconfig: [...runnerFragments(opts.runner), ...(opts.kconfig ?? []), ...(v?.fragments ?? [])],
    extra: [...(opts.config ?? []), ...(v?.extra ?? [])],
    defaults: opts.defaults,
  });
}

/** The config inputs of the flags, and the slot of the tree (at --rev, else the baseline) they name. */
export async function configSlot(
  ctx: CliContext,
  opts: ConfigFlags,
  signal: AbortSignal,
): Promise<{ inputs: ConfigInputs; slot: Slot }> {
  const inputs = configInputsFrom(opts);
  const tree = await resolveTree({ tree: opts.tree, cache: ctx.cache, reporter: ctx.reporter, signal });
  const slot = await acquireSlot({
    tree,
    rev: opts.rev ?? tree.baseline,
    configKey: inputs.key,
    cache: ctx.cache,
    reporter: ctx.reporter,
    signal,
  });
  return { inputs, slot };
}

/** Options shared by `hmmci config` and `hmmci build`. */
export function addConfigOptions(cmd: Command): Command {
  return cmd
    .option('--tree <dir>', 'your kernel git checkout (default: the default tree made from linux-source-6.12)')
    .option('--rev <rev>', "commit to configure/build (default: the tree's baseline)")
    .option('--kconfig <file>', "add a config fragment (CONFIG_X=y lines) after hmmci's; repeatable", collect, [])
    .option('--config <CONFIG_X=y>', 'set one option last; repeatable', collect, [])
    .option(
      '--variant <name>',
      'a named config variant after the defaults (debug: KASAN, lockdep, hung-task…; see --list-variants), or name:fragment.config,CONFIG_X=y',
    )
    .option(
      '--no-defaults',
      "do not merge hmmci's kernel-configs/ fragments (only --kconfig/--config on top of tinyconfig)",
    )
    .addOption(
      new Option(
        '--runner <runner>',
        'the runner the kernel is for: vng adds kernel-configs/vng.config (as `run --runner vng` does)',
      )
        .choices(['qemu', 'vng'])
        .default('qemu'),
    );
}

/** `hmmci config`: make the .config of a slot and check every requested option landed. */
export function registerConfig(program: Command): void {
  addConfigOptions(
    program
      .command('config')
      .description(
        'Make the kernel .config: tinyconfig + kernel-configs/base-x86_64-qemu.config + hmm.config (+ --kconfig/--config), merged with merge_config.sh and olddefconfig; every requested option must land, or each one that did not is named with its unmet dependency (exit 10)',
      ),
  )
    .option('--report-only', 'list options that did not land without failing')
    .option('--list-variants', 'list the named variants (kernel-configs/<name>.config) and exit')
    .option('--json', 'print {configPath, configHash, configKey, requested, missing, fragments, worktree, buildDir}')
    .action(
      async (opts: ConfigFlags & { json?: boolean; reportOnly?: boolean; listVariants?: boolean }, cmd: Command) => {
        const ctx = contextFrom(cmd);
        if (opts.listVariants) {
          const vs = listVariants();
          ctx.out(
            opts.json
              ? JSON.stringify(vs, null, 2)
              : vs.map((v) => `${v.name.padEnd(12)} ${v.description}\n${''.padEnd(12)} ${v.fragment}`).join('\n'),
          );
          return;
        }
        const signal = interruptSignal();
        const { inputs, slot } = await configSlot(ctx, opts, signal);
        try {
          const r = await configure({
            srcDir: slot.worktree,
            buildDir: slot.buildDir,
            inputs,
            reporter: ctx.reporter,
            signal,
            reportOnly: opts.reportOnly,
          });
          if (opts.json) {
            ctx.out(JSON.stringify({ ...r, worktree: slot.worktree, buildDir: slot.buildDir }, null, 2));
          } else {
            const lines = [
              `config ${r.configHash} (inputs ${r.configKey}): ${r.configPath}`,
              `${r.requested.length - r.missing.length}/${r.requested.length} requested options landed`,
            ];
            for (const m of r.missing) lines.push(`  ${formatMissing(m)}`);
            ctx.out(lines.join('\n'));
          }
        } finally {
          await slot.release();
        }
      },
    );
}
