// Estimates of how long a board takes per row, and the reply timeout that follows from them (pure).
import type { BoardProfile } from '../core/boards.js';
import type { ModelFile } from '../core/model.js';
import { inputCount, outputCount } from '../core/model.js';
import { maxRequestLength } from './protocol.js';

/** Rough on-board cost of one row: ~300 cycles per multiply-add, ~3000 per exp (sigmoid, tanh, softmax outputs). */
export function estimateComputeCycles(model: Pick<ModelFile, 'layers'>): number {
  let cycles = 300 * inputCount(model);
  for (const l of model.layers) {
    cycles += 300 * l.inputs * l.outputs;
    if (l.activation === 'sigmoid' || l.activation === 'tanh' || l.activation === 'softmax') cycles += 3000 * l.outputs;
  }
  return cycles;
}

/** Bytes on the wire for one request and one reply (with newlines, longest sequence number). */
export function frameBytes(model: Pick<ModelFile, 'layers'>): { request: number; reply: number } {
  return { request: maxRequestLength(inputCount(model)) + 1, reply: 1 + 8 + 1 + 8 * outputCount(model) + 1 + 8 + 5 + 1 };
}

/**
 * Default reply timeout: 20x (compute time at board.fCpu + serial time of a request and a reply at 10 bits per byte),
 * at least 2 s. A row waits behind at most window-1 others, so this is generous; too short a timeout would resend
 * a request the board still holds and could overrun its receive buffer.
 */
export function defaultTimeoutMs(model: Pick<ModelFile, 'layers'>, board: Pick<BoardProfile, 'fCpu' | 'baud'>): number {
  const computeMs = (estimateComputeCycles(model) / board.fCpu) * 1000;
  const { request, reply } = frameBytes(model);
  const serialMs = (((request + reply) * 10) / board.baud) * 1000;
  return Math.max(2000, Math.ceil(20 * (computeMs + serialMs)));
}
