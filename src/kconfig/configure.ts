import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { createWriteStream, type WriteStream } from 'node:fs';
import { run, requireTool } from '../common/exec.js';
import { UsageError } from '../common/errors.js';
import { shortHash } from '../common/hash.js';
import { silentReporter, type Reporter, type StageHandle } from '../common/progress.js';
import { DiskFullError, isDiskFull } from '../tree/errors.js';
import { gitMaybe } from '../tree/git.js';
import { ConfigError } from './errors.js';
import {
  canonicalConfig,
  configValues,
  mergeRequested,
  parseExtraOptions,
  parseFragment,
  renderFragment,
} from './fragment.js';
import { configKey, defaultFragments } from './key.js';
import { loadKconfigIndex } from './load.js';
import type { ConfigEntry, ConfigureResult } from './types.js';
import { formatMissing, validateConfig } from './validate.js';

export interface ConfigInputs {
  /** Fragment files in merge order (defaults, then the user's --kconfig files). */
  fragments: string[];
  /** Their texts, read once. */
  texts: string[];
  /** `--config` options, parsed. */
  extra: ConfigEntry[];
  /** configKey of all of the above. */
  key: string;
  /** make target the configuration starts from (`# base:` in the first fragment; tinyconfig). */
  base: string;
}

/**
 * Read and check the configuration inputs: hmmci's default fragments (unless `defaults: false`),
 * the user's `--kconfig` files, the `--config CONFIG_X=y` options. A missing or unreadable
 * fragment, a line that is not a setting, or a malformed --config is a ConfigError / UsageError
 * naming it.
 */
export function resolveConfigInputs(
  opts: {
    kconfig?: readonly string[];
    extra?: readonly string[];
    defaults?: boolean;
    fragments?: readonly string[];
  } = {},
): ConfigInputs {
  const fragments = [
    ...(opts.fragments ?? (opts.defaults === false ? [] : defaultFragments())),
    ...(opts.kconfig ?? []).map((f) => resolve(f)),
  ];
  const texts: string[] = [];
  let base: string | undefined;
  for (const f of fragments) {
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch (err) {
      throw new ConfigError(
        `The config fragment ${f} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}). Check the --kconfig path; a fragment is a file of CONFIG_X=y lines.`,
      );
    }
    const parsed = parseFragment(text, f);
    if (parsed.problems.length) {
      const p = parsed.problems[0]!;
      throw new ConfigError(
        `The config fragment ${f} has a line that is not a setting (line ${p.line}: "${p.text.trim().slice(0, 80)}"). A fragment holds CONFIG_X=y, CONFIG_X=m, CONFIG_X="text" or "# CONFIG_X is not set" lines and comments.`,
      );
    }
    base ??= parsed.base;
    texts.push(text);
  }
  const ex = parseExtraOptions(opts.extra ?? []);
  if (ex.invalid !== undefined) {
    throw new UsageError(
      `--config ${JSON.stringify(ex.invalid)} is not an option setting; write it as CONFIG_NAME=y (or =m, =n, =value).`,
    );
  }
  return { fragments, texts, extra: ex.entries, key: configKey(texts, ex.entries), base: base ?? 'tinyconfig' };
}

export interface ConfigureRequest {
  srcDir: string;
  buildDir: string;
  /** Fragment paths, in order (default: kernel-configs/base-x86_64-qemu.config, hmm.config). */
  fragments?: string[];
  /** `CONFIG_X=y` options applied last. */
  extra?: string[];
  /** Already resolved inputs (resolveConfigInputs); overrides fragments/extra. */
  inputs?: ConfigInputs;
  arch?: string;
  reporter?: Reporter;
  signal?: AbortSignal;
  /** Return the missing options instead of throwing ConfigError. */
  reportOnly?: boolean;
}

function requireMergeScript(srcDir: string): string {
  const mergeScript = join(srcDir, 'scripts', 'kconfig', 'merge_config.sh');
  if (!existsSync(mergeScript)) {
    throw new ConfigError(
      `${srcDir} has no scripts/kconfig/merge_config.sh, so it is not a kernel source tree hmmci can configure.`,
    );
  }
  return mergeScript;
}

/** Runs configuration commands in the source tree, each logged to config.log; the first failure throws. */
class ConfigSteps {
  private readonly log: WriteStream;

  constructor(
    private readonly where: { srcDir: string; buildDir: string; logPath: string },
    private readonly stage: StageHandle,
    private readonly signal: AbortSignal | undefined,
  ) {
    this.log = createWriteStream(where.logPath);
  }

  async step(what: string, file: string, args: string[], env: Record<string, string> = {}) {
    const { srcDir, buildDir, logPath } = this.where;
    this.stage.update(what);
    this.log.write(`$ ${[file, ...args].join(' ')}\n`);
    const r = await run(file, args, { cwd: srcDir, env: { ...process.env, ...env }, signal: this.signal });
    this.log.write(r.stdout + r.stderr);
    if (r.exitCode !== 0) {
      this.stage.fail();
      const out = `${r.stdout}\n${r.stderr}`;
      await new Promise<void>((res) => this.log.end(res));
      if (isDiskFull(out)) throw new DiskFullError(buildDir, what, { command: r.command, logPath });
      throw new ConfigError(`${what} failed (exit ${r.exitCode}) for ${srcDir}.`, {
        command: r.command,
        commandExitCode: r.exitCode,
        logPath,
        details: out.trim().split('\n').filter(Boolean).slice(-6),
      });
    }
    return r;
  }

  async close(): Promise<void> {
    if (!this.log.closed) await new Promise<void>((res) => this.log.end(res));
  }
}

/** Fragments, then --config options as one more fragment, written to `work` in merge order. */
function writeMergeInputs(work: string, inputs: ConfigInputs): string[] {
  const files = inputs.fragments.map((f, i) => {
    const p = join(work, `${String(i).padStart(2, '0')}-${basename(f)}`);
    writeFileSync(p, inputs.texts[i]!);
    return p;
  });
  if (inputs.extra.length) {
    const p = join(work, `${String(files.length).padStart(2, '0')}-command-line.config`);
    writeFileSync(p, renderFragment(inputs.extra));
    files.push(p);
  }
  return files;
}

/** `make <base>`, merge_config.sh of the fragments onto it, `make olddefconfig`. */
async function makeConfig(
  steps: ConfigSteps,
  inputs: ConfigInputs,
  where: { srcDir: string; buildDir: string; work: string; mergeScript: string },
) {
  const { srcDir, buildDir, work, mergeScript } = where;
  const makeArgs = ['-C', srcDir, `O=${buildDir}`];
  await steps.step(`make ${inputs.base}`, 'make', [...makeArgs, inputs.base]);
  const files = writeMergeInputs(work, inputs);
  const shell = /^#!.*\bbash\b/.test(readFileSync(mergeScript, 'utf8').split('\n', 1)[0] ?? '') ? 'bash' : 'sh';
  await steps.step('merge_config.sh', shell, [mergeScript, '-m', '-O', buildDir, join(buildDir, '.config'), ...files], {
    KCONFIG_CONFIG: join(buildDir, '.config'),
  });
  await steps.step('make olddefconfig', 'make', [...makeArgs, 'olddefconfig']);
}

/** The options requested (merged) and, of those that did not land in `finalText`, why (validateConfig). */
function checkLanded(inputs: ConfigInputs, finalText: string, srcDir: string, arch: string) {
  const requested = mergeRequested([
    ...inputs.texts.map((t, i) => parseFragment(t, inputs.fragments[i]).entries),
    inputs.extra,
  ]);
  const actual = configValues(finalText);
  const quick = requested.filter((r) => !(actual.get(r.name) === r.value || (r.value === 'n' && !actual.has(r.name))));
  const missing = quick.length ? validateConfig(requested, actual, loadKconfigIndex(srcDir, arch)) : [];
  return { requested, missing };
}

function missingError(missing: ConfigureResult['missing'], configPath: string, logPath: string): ConfigError {
  const unknown = missing.filter((m) => m.unknown).map((m) => m.option);
  return new ConfigError(
    `${missing.length} requested kernel config option(s) did not land in ${configPath}${unknown.length ? ` (${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ` and ${unknown.length - 5} more` : ''} ${unknown.length > 1 ? 'do' : 'does'} not exist in this tree)` : ''}: the kernel would be built without them. Fix the fragment or --config option, or enable the dependency named below.`,
    { details: missing.map(formatMissing), logPath },
  );
}

/**
 * Make `<buildDir>/.config`: `make <base>` (tinyconfig), merge the fragments and options with the
 * kernel's own scripts/kconfig/merge_config.sh, `make olddefconfig`, then check that every
 * requested option landed. For each one that did not, the reason is read from the tree's Kconfig
 * files (validateConfig). Any missing option is a ConfigError (exit 10) unless `reportOnly`.
 */
export async function configure(req: ConfigureRequest): Promise<ConfigureResult> {
  const started = Date.now();
  const reporter = req.reporter ?? silentReporter;
  const inputs = req.inputs ?? resolveConfigInputs({ fragments: req.fragments, extra: req.extra });
  const srcDir = resolve(req.srcDir);
  const buildDir = resolve(req.buildDir);
  requireTool('make');
  requireTool('flex');
  requireTool('bison');
  const mergeScript = requireMergeScript(srcDir);
  const work = join(buildDir, '.hmmci');
  mkdirSync(work, { recursive: true });
  const logPath = join(work, 'config.log');
  const stage = reporter.stage(
    'config',
    `${inputs.fragments.map((f) => basename(f)).join(' + ')}${inputs.extra.length ? ` + ${inputs.extra.length} option(s)` : ''}`,
  );
  const steps = new ConfigSteps({ srcDir, buildDir, logPath }, stage, req.signal);
  try {
    await makeConfig(steps, inputs, { srcDir, buildDir, work, mergeScript });
  } finally {
    await steps.close();
  }

  const configPath = join(buildDir, '.config');
  const finalText = readFileSync(configPath, 'utf8');
  const { requested, missing } = checkLanded(inputs, finalText, srcDir, req.arch ?? 'x86');
  const result: ConfigureResult = {
    configPath,
    configHash: shortHash(canonicalConfig(finalText)),
    configKey: inputs.key,
    requested,
    missing,
    fragments: inputs.fragments,
    ms: Date.now() - started,
  };
  const srcRev = (await gitMaybe(srcDir, ['rev-parse', 'HEAD']))?.trim();
  writeFileSync(join(work, 'config.json'), `${JSON.stringify({ ...result, srcRev }, null, 2)}\n`);
  if (missing.length) {
    stage.fail(`${missing.length} option(s) did not land`);
    if (!req.reportOnly) throw missingError(missing, configPath, logPath);
  } else {
    stage.done(`config ${result.configHash}, ${requested.length} options landed`);
  }
  return result;
}
