// The one place that turns errors into messages and exit codes.
import { DeployNnError } from '../core/errors.js';
import type { ErrorCode } from '../core/errors.js';

/** Exit codes: 0 ok, 1 verification found mismatches or failures, 2 usage or input errors, 3 environment (tools, ports, board). */
export const EXIT_CODES: Record<ErrorCode, number> = {
  usage: 2,
  csv: 2,
  model: 2,
  training: 2,
  'too-large': 2,
  'toolchain-missing': 3,
  'build-failed': 3,
  'sketch-compile': 2,
  'port-not-found': 3,
  'port-permission': 3,
  'port-busy': 3,
  'not-a-serial-port': 3,
  'port-vanished': 3,
  'upload-failed': 3,
  'board-not-ready': 3,
  'hash-mismatch': 3,
  protocol: 3,
  disconnected: 3,
  'verify-failed': 1,
  sim: 3,
};

/** The line every missing-tool error ends with: the doctor lists everything else the machine lacks, in one go. */
export const DOCTOR_POINTER = 'then: run `deploy-nn doctor` to see every tool this machine has and lacks';

/** One clear line (plus a fix line when there is one, and the doctor's pointer for a missing tool) on stderr. */
export function formatError(err: unknown): string {
  if (err instanceof DeployNnError) {
    const doctor = err.code === 'toolchain-missing' ? `\n  ${DOCTOR_POINTER}` : '';
    return `deploy-nn: ${err.message}${err.hint ? `\n  fix: ${err.hint}` : ''}${doctor}`;
  }
  const e = err as Error;
  return `deploy-nn: internal error: ${e?.stack ?? String(err)}`;
}

export function exitCodeFor(err: unknown): number {
  return err instanceof DeployNnError ? EXIT_CODES[err.code] : 70;
}

/** Wrap a command action: run it, print typed errors as one line, set the exit code. */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void> | void): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      process.stderr.write(`${formatError(err)}\n`);
      process.exitCode = exitCodeFor(err);
    }
  };
}
