/** Data of the build stage. */

export type Severity = 'error' | 'warning';

/** One compiler, linker, modpost or make diagnostic found in a build log. */
export interface Diagnostic {
  severity: Severity;
  /** Where the tool found it: `gcc`, `ld`, `modpost`, `objtool`, `make`, `kconfig`. */
  tool: 'gcc' | 'ld' | 'modpost' | 'objtool' | 'make' | 'kconfig';
  /** Source path relative to the tree (`mm/hmm.c`) when known. */
  file?: string;
  line?: number;
  column?: number;
  message: string;
  /** `In function 'hmm_range_fault'` context from gcc/ld, when printed. */
  function?: string;
  /** 1-based line of the log it was read from. */
  logLine: number;
}

export interface BuildLogSummary {
  errors: Diagnostic[];
  warnings: Diagnostic[];
  /** Targets make reported as failed (`make[2]: *** [scripts/Makefile.build:229: mm/hmm.o] Error 1`). */
  failedTargets: string[];
}

/** What one kbuild quiet-command line says (`  CC [M]  lib/test_hmm.o`). */
export interface ProgressStep {
  /** `CC`, `CC [M]`, `LD`, `LD [M]`, `AR`, `AS`, `BUILD`, `HOSTCC`… */
  command: string;
  target: string;
  /** Folder of the target (`lib`), for "current directory" progress. */
  dir: string;
  /** Compilation (CC/AS/HOSTCC…) or link (LD/AR/BUILD…). */
  kind: 'compile' | 'link' | 'other';
}

export interface BuildArtifacts {
  bzImage?: string;
  vmlinux?: string;
  /** Absolute paths of the built modules (`<buildDir>/lib/test_hmm.ko`). */
  modules: string[];
}

export interface BuildResult {
  ok: boolean;
  ms: number;
  /** The full make output. */
  logPath: string;
  exitCode: number;
  errors: import('./types.js').Diagnostic[];
  warnings: import('./types.js').Diagnostic[];
  artifacts: BuildArtifacts;
  /** Objects compiled and linked in this build; 0/0 means the tree was already up to date. */
  compiled: number;
  linked: number;
  /** Nothing was recompiled or relinked. */
  noop: boolean;
  command: string[];
}
