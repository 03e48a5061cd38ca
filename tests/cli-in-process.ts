// Runs CLI commands in the test process (no spawn): stdout, stderr and the exit code the command set.
import { Command } from 'commander';
import { vi } from 'vitest';

export interface InProcessRun {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number;
}

/** A program with the given commands registered, parsing `args` as `deploy-nn args...`. */
export async function runCommands(register: readonly ((program: Command) => void)[], args: readonly string[]): Promise<InProcessRun> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((stdout += String(s)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((stderr += String(s)), true));
  process.exitCode = 0;
  try {
    const program = new Command().exitOverride();
    for (const r of register) r(program);
    await program.parseAsync(['node', 'deploy-nn', ...args]);
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { stdout, stderr, code };
}
