// Running the toolchain's programs: captured output, typed errors for a missing tool or a failed step.
import { execFile } from 'node:child_process';
import { BuildFailedError, ToolchainMissingError } from '../core/errors.js';
import { aptInstallLine } from '../core/tools.js';
import { terminalSafe } from '../core/terminal.js';

export interface ExecResult {
  readonly stdout: string;
  readonly stderr: string;
}

/** The apt-get line that installs the built-in toolchain (from the tool table). */
export const APT_INSTALL_HINT = aptInstallLine(['avr-gcc', 'avr-libc', 'avr-size', 'arduino-core', 'avrdude']);

/**
 * Run `cmd args`; ENOENT becomes ToolchainMissingError (with `hint` as the fix), a non-zero exit BuildFailedError
 * carrying the tool's output. Options: cwd, env (default: inherited), what (the step, for the message).
 */
export function run(
  cmd: string,
  args: readonly string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; what?: string; hint?: string } = {},
): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd: opts.cwd, env: opts.env, maxBuffer: 32 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
          reject(new ToolchainMissingError(cmd, opts.hint ?? APT_INSTALL_HINT));
          return;
        }
        const log = `${stdout}${stderr}`.trim();
        const lines = log.split('\n');
        // The line that says what went wrong: the compiler's or the linker's, not collect2's summary.
        const first = lines.find((l) => /error:|not within region|undefined reference|overflowed/.test(l) && !l.startsWith('collect2')) ?? lines[0] ?? '';
        reject(new BuildFailedError(terminalSafe(`${opts.what ?? cmd} failed: ${first}`), `$ ${cmd} ${args.join(' ')}\n${log}`));
        return;
      }
      resolve({ stdout, stderr });
    });
  });
}

/** Run tasks with at most `limit` at a time (the machine has 2 cores, shared). */
export async function runLimited<T>(tasks: readonly (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results: T[] = new Array<T>(tasks.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}
