import type { Command } from 'commander';

// Placeholder registration: the stage's owner replaces this file with the real command(s).
export function registerTree(_program: Command): void {}
