/** Data of the kconfig stage. */

/** One `CONFIG_X=v` (or `# CONFIG_X is not set`, value `n`) line of a fragment or .config. */
export interface ConfigEntry {
  /** Symbol name without the CONFIG_ prefix (`TEST_HMM`). */
  name: string;
  /** `y`, `m`, `n`, a number or a quoted string exactly as written. */
  value: string;
  /** Where it came from (fragment path or `--config`), for messages. */
  source?: string;
  line?: number;
}

/** A requested option that is not in the final .config as asked, and why. */
export interface MissingOption {
  /** `CONFIG_TEST_HMM`. */
  option: string;
  wanted: string;
  /** Value in the final .config (`n` when absent). */
  got: string;
  /** Why, read from Kconfig: the unmet dependency, a select forcing it, an unknown symbol. */
  reason: string;
  /** The symbol is not defined in any Kconfig file of this tree. */
  unknown?: boolean;
  /** Fragment (or `--config`) that asked for it. */
  source?: string;
}

export interface ConfigureResult {
  /** The final .config (`<buildDir>/.config`). */
  configPath: string;
  /** Hash of the final .config's settings: identifies the configuration actually built. */
  configHash: string;
  /** Hash of the inputs (fragment texts + extra options): names slots and build dirs. */
  configKey: string;
  /** Every option the fragments and --config asked for, after later ones overrode earlier ones. */
  requested: ConfigEntry[];
  missing: MissingOption[];
  /** Fragment files merged, in order. */
  fragments: string[];
  ms: number;
}

/** One `config X` definition read from a Kconfig file. */
export interface KconfigSymbolDef {
  name: string;
  file: string;
  line: number;
  type?: 'bool' | 'tristate' | 'string' | 'int' | 'hex';
  /** Has a prompt (user-visible, so a fragment can set it). */
  prompt: boolean;
  /** Condition on the prompt (`bool "x" if EXPERT`). */
  promptIf?: string;
  /** `depends on` expressions, including those inherited from enclosing if/menu/source blocks. */
  depends: string[];
  selects: Array<{ target: string; cond?: string }>;
  /** `imply` targets (weak select). */
  implies: Array<{ target: string; cond?: string }>;
  defaults: Array<{ value: string; cond?: string }>;
  /** Set when the symbol is a member of a `choice`. */
  choice?: number;
}

export interface KconfigIndex {
  /** Every definition of each symbol (some are defined in several files). */
  symbols: Map<string, KconfigSymbolDef[]>;
  /** Reverse select/imply edges: target → selectors (with the select's condition). */
  selectedBy: Map<string, Array<{ by: string; cond?: string; imply?: boolean }>>;
  /** Choice groups: id → member names. */
  choices: Map<number, string[]>;
}
