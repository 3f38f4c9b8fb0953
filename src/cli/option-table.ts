import { Option, type Command } from 'commander';

/**
 * One command-line option as data (node-glob's bin.mts style): commander's flags and help, and
 * optionally how its value is read, its default and the values it allows.
 */
export interface OptionSpec {
  flags: string;
  description: string;
  /** Reads each value (`collect` for a repeatable option, `wholeNumber(...)`, `Number`). */
  parse?: (value: string, previous: never) => unknown;
  default?: unknown;
  choices?: readonly string[];
}

/** The commander Option of a spec (what `cmd.option(flags, description, parse, default)` makes). */
export function toOption(spec: OptionSpec): Option {
  const o = new Option(spec.flags, spec.description);
  if (spec.parse) o.argParser(spec.parse as (value: string, previous: unknown) => unknown);
  // choices() installs its own parser: a spec gives one or the other.
  if (spec.choices) o.choices(spec.choices);
  if ('default' in spec) o.default(spec.default);
  return o;
}

/** Adds the options of a table to a command, in table order (the order `--help` lists them). */
export function addOptions(cmd: Command, table: readonly OptionSpec[]): Command {
  for (const spec of table) cmd.addOption(toOption(spec));
  return cmd;
}
