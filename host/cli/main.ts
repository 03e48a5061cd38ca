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
    .enablePositionalOptions()
    .showHelpAfterError('fix: see `deploy-nn --help` (or `deploy-nn <command> --help`) for what is allowed')
    // commander's own refusals (unknown option or command, missing option) are the user's input: exit 2, as every
    // other bad input; help and --version stay 0. Set before the commands are added, so they inherit it.
    .exitOverride((err) => {
      process.exit(err.exitCode === 0 ? 0 : 2);
    });
  registerCommands(program);
  return program;
}

await buildProgram().parseAsync(process.argv);
