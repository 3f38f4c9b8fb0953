import type { Command } from 'commander';

// Placeholder registration: the stage's owner replaces this file with the real command(s).
export function registerBisect(_program: Command): void {}
