// Every subcommand, registered in pipeline order.
import type { Command } from 'commander';

export function registerCommands(_program: Command): void {
  // Filled in as the stages land: train, generate, build, upload, sim, verify, monitor, and the one-shot command.
}
