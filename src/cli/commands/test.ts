import type { Command } from 'commander';

// Placeholder registration: the stage's owner replaces this file with the real command(s).
export function registerTest(_program: Command): void {}
