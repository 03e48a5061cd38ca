// Every subcommand, registered in pipeline order, then the one-shot command on the program itself.
import type { Command } from 'commander';
import { registerExample } from './example.js';
import { registerTrain } from './train.js';
import { registerDeploy } from './deploy.js';
import { registerMonitor } from './monitor.js';
import { registerVerify } from './verify.js';
import { registerSim } from './sim.js';
import { registerGenerate } from './generate.js';
import { registerBuild } from './build.js';
import { registerExport } from './export.js';
import { registerUpload } from './upload.js';
import { registerDoctor } from './doctor.js';
import { registerPorts } from './ports.js';

export function registerCommands(program: Command): void {
  registerTrain(program);
  registerExample(program);
  registerGenerate(program);
  registerBuild(program);
  registerExport(program);
  registerUpload(program);
  registerPorts(program);
  registerSim(program);
  registerVerify(program);
  registerMonitor(program);
  registerDoctor(program);
  registerDeploy(program);
}
