// Ready lines: is the board the one we expect, and is a ready line mid-stream a reset or the answer to our `?`.
import type { ModelFile } from '../core/model.js';
import { inputCount, outputCount } from '../core/model.js';
import { BoardNotReadyError, ModelHashMismatchError } from '../core/errors.js';
import type { DeployNnError } from '../core/errors.js';
import { PROTOCOL_VERSION } from './protocol.js';
import type { ReadyInfo } from './protocol.js';

/**
 * How long a ready line counts as the answer to a `?` we sent rather than a reset, ms: after the first ready line for
 * the `?`s sent while waiting for it, from the send for a `?` sent mid-stream (it waits behind the requests). Erring long
 * is safe: a reset taken for an echo only makes its requests time out and go again, while an echo taken for a reset
 * would resend requests the board still holds.
 */
export const BOOT_ECHO_MS = 500;
export const QUERY_ECHO_MS = 10_000;

/** Why the board that sent `info` cannot serve `model`, or undefined when it can. */
export function readyProblem(info: ReadyInfo, model: ModelFile): DeployNnError | undefined {
  const nIn = inputCount(model);
  const nOut = outputCount(model);
  if (info.model !== model.hash) return new ModelHashMismatchError(info.model, model.hash);
  if (info.proto !== PROTOCOL_VERSION) {
    return new BoardNotReadyError(`the board speaks protocol ${info.proto}; this deploy-nn speaks ${PROTOCOL_VERSION}`, 'regenerate and upload the sketch');
  }
  if (info.inputs !== nIn || info.outputs !== nOut) {
    return new BoardNotReadyError(`the board reports in=${info.inputs} out=${info.outputs}; the model has ${nIn} inputs and ${nOut} outputs`);
  }
  if (info.window < 1) return new BoardNotReadyError(`the board announces window=${info.window}; it must be at least 1`);
  return undefined;
}

/** A board that resets while sending leaves half a line: the ready line of its reboot is glued to its end. */
export function splitGluedReady(line: string): string[] {
  const glued = line.indexOf('#READY ');
  return glued > 0 ? [line.slice(0, glued), line.slice(glued)] : [line];
}

/** What a valid ready line means: the first one, the answer to a `?` we sent, or a board that reset. */
export type ReadyKind = 'first' | 'echo' | 'reset';

/** Tells a reset from the echo of a `?`, from the times the `?`s were sent. */
export class ReadyClassifier {
  /** Expiry times (clock ms) of the ready lines we expect in answer to our `?`s. */
  private echoes: number[] = [];

  /** A `?` went out at `now`; `streaming` once the first ready line came (its answer then waits behind the requests). */
  queried(now: number, streaming: boolean): void {
    // Before the first ready line it stays an echo until then, and BOOT_ECHO_MS after.
    this.echoes.push(streaming ? now + QUERY_ECHO_MS : Number.POSITIVE_INFINITY);
  }

  /** Classify a valid ready line received at `now`; `waiting` while no ready line was accepted yet. */
  classify(now: number, waiting: boolean): ReadyKind {
    this.echoes = this.echoes.filter((expiry) => now < expiry);
    if (waiting) {
      this.echoes = this.echoes.map((expiry) => Math.min(expiry, now + BOOT_ECHO_MS));
      return 'first';
    }
    if (this.echoes.length > 0) {
      // The answer to a `?` we sent: the board did not reset and still holds its requests.
      this.echoes.shift();
      return 'echo';
    }
    return 'reset';
  }
}
