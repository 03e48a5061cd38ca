// `deploy-nn doctor`: what this machine has and lacks for each stage; exit 0 when `deploy-nn --board uno` can run, 3 when not.
import type { Command } from 'commander';
import { probeMachine } from '../../doctor/probe.js';
import { evaluate, formatDoctor, missingDebianPackages } from '../../doctor/report.js';
import { emit } from '../output.js';
import { EXIT_CODES, action } from '../run.js';

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('check the tools each stage needs: versions, what is missing and how to install it')
    .option('--json', 'print one JSON document', false)
    .option('--apt', 'print only the Debian/Ubuntu packages that would install what is missing, one per line', false)
    .action(
      action(async (o: { json: boolean; apt: boolean }) => {
        const report = evaluate(await probeMachine());
        if (o.apt) {
          const pkgs = missingDebianPackages(report);
          if (pkgs.length > 0) process.stdout.write(`${pkgs.join('\n')}\n`);
          return;
        }
        emit(o, report, () => formatDoctor(report));
        if (!report.ready) process.exitCode = EXIT_CODES['toolchain-missing'];
      }),
    );
}
