// Every subcommand, registered in pipeline order, then the one-shot command on the program itself.
import type { Command } from 'commander';
import { registerDeploy } from './deploy.js';
import { registerVerify } from './verify.js';

export function registerCommands(program: Command): void {
  registerVerify(program);
  registerDeploy(program);
}
