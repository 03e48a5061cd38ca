// The deploy-nn command line: thin commands over the library, each registered from host/cli/commands/.
import { Command } from 'commander';
import { registerCommands } from './commands/index.js';
import { toolVersion } from '../core/paths.js';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('deploy-nn')
    .description('Train a small neural network, run it on an Arduino, and check every output bit for bit')
    .version(toolVersion())
    // Root options (the one-shot command) only before a subcommand, so `build --board` is the subcommand's.
    .enablePositionalOptions();
  registerCommands(program);
  return program;
}

await buildProgram().parseAsync(process.argv);
