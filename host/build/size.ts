// Flash and SRAM before building: what the sketch will need on a board, by part, and a refusal that names what to shrink.
import type { BoardProfile } from '../core/boards.js';
import type { SizeEstimate } from '../core/artifacts.js';
import { ModelTooLargeError } from '../core/errors.js';
import type { ModelFile } from '../core/model.js';
import { inputCount, outputCount } from '../core/model.js';

const FLOAT = 4;
/** Bytes kept free for the stack: nn_predict's frames, float routines, interrupts, Serial.print. */
export const STACK_RESERVE = 256;
/** pgm_read_float uses 16-bit addresses: constant data must sit in the first 64 KB of flash. */
const NEAR_FLASH = 65_536;

/**
 * The bridge sketch without the model (Arduino core, Serial, protocol, runtime, Timer1), per MCU, measured with
 * avr-size on this project's golden sketch (avr-gcc 5.4, Arduino core 1.8.7) minus its model data, rounded up.
 */
const RUNTIME_BASELINE: Readonly<Record<string, { readonly flash: number; readonly sram: number }>> = {
  // The 328P and 32U4 include the assembly multiply-accumulate (about 700 bytes); the 2560 runs the portable C.
  atmega328p: { flash: 9_700, sram: 260 },
  atmega2560: { flash: 9_400, sram: 260 },
  atmega32u4: { flash: 12_200, sram: 230 },
};
const UNKNOWN_MCU_BASELINE = { flash: 12_000, sram: 300 };
/** Code per layer call and per activation function, bytes of flash (generous). */
const CODE_PER_LAYER = 40;

type Part = SizeEstimate['parts'][number];

function utf8Length(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/** Flash and SRAM of the generated bridge sketch for this model and board, by part. */
export function estimateSize(model: ModelFile, board: BoardProfile): SizeEstimate {
  const parts: Part[] = [];
  const base = RUNTIME_BASELINE[board.mcu] ?? UNKNOWN_MCU_BASELINE;
  parts.push({ part: 'Arduino core, Serial, protocol and runtime', flashBytes: base.flash, sramBytes: base.sram });
  // Constant data goes to flash on boards that keep weights there; elsewhere it is copied to RAM at boot as well.
  const constant = (bytes: number): Omit<Part, 'part'> =>
    board.weightsInFlash ? { flashBytes: bytes, sramBytes: 0 } : { flashBytes: bytes, sramBytes: bytes };
  model.layers.forEach((l, k) => {
    parts.push({
      part: `layer ${k + 1} (dense ${l.inputs} -> ${l.outputs}, ${l.activation})`,
      ...constant((l.inputs * l.outputs + l.outputs) * FLOAT),
    });
  });
  parts.push({ part: 'layer calls', flashBytes: CODE_PER_LAYER * model.layers.length, sramBytes: 0 });
  const n = inputCount(model);
  const m = outputCount(model);
  parts.push({ part: 'input normalization', ...constant(2 * n * FLOAT) });
  const strings = [...model.inputNames, ...model.labels].reduce((sum, s) => sum + utf8Length(s) + 1 + 2, 0);
  parts.push({ part: 'input names and labels', ...constant(strings + 17 + board.id.length + 1) });
  const hidden = model.layers.slice(0, -1).map((l) => l.outputs);
  const buf0 = Math.max(n, ...hidden.filter((_, k) => k % 2 === 1));
  const buf1 = Math.max(0, ...hidden.filter((_, k) => k % 2 === 0));
  parts.push({ part: `buffers (pending input ${n}, output ${m}, activations ${buf0} + ${buf1} floats)`, flashBytes: 0, sramBytes: (n + m + buf0 + buf1) * FLOAT });
  return {
    boardId: board.id,
    flashBytes: parts.reduce((s, p) => s + p.flashBytes, 0),
    sramBytes: parts.reduce((s, p) => s + p.sramBytes, 0),
    flashLimit: board.flashBytes,
    sramLimit: board.sramBytes,
    stackReserve: STACK_RESERVE,
    parts,
  };
}

const fmt = (n: number): string => n.toLocaleString('en-US');

/**
 * The widest hidden layer k that still fits, all else equal: layer k's outputs feed layer k+1, so both shrink with it.
 * Undefined for the output layer (its width is the number of classes).
 */
function widestThatFits(model: ModelFile, k: number, bytesPerUnit: number, spare: number): number | undefined {
  const layer = model.layers[k]!;
  const next = model.layers[k + 1];
  if (!next) return undefined;
  const units = Math.floor(spare / bytesPerUnit);
  return Math.max(0, layer.outputs + units);
}

/** estimateSize, then refuse a model that does not fit: the message names the board, the figures and the layer to shrink. */
export function checkFits(model: ModelFile, board: BoardProfile): SizeEstimate {
  const est = estimateSize(model, board);
  const sramNeeded = est.sramBytes + est.stackReserve;
  const flashOver = est.flashBytes - est.flashLimit;
  const sramOver = sramNeeded - est.sramLimit;
  const layerParts = est.parts.filter((p) => /^layer \d/.test(p.part));
  const kind = flashOver > 0 ? 'flash' : sramOver > 0 ? 'SRAM' : undefined;
  const constantData = est.parts.filter((p) => /^(layer \d|input)/.test(p.part)).reduce((s, p) => s + p.flashBytes, 0);
  if (kind === undefined) {
    if (board.weightsInFlash && constantData > NEAR_FLASH - 1024) {
      throw new ModelTooLargeError(
        `the model's constants take ${fmt(constantData)} bytes of flash on the ${board.name}, more than the ${fmt(NEAR_FLASH - 1024)} pgm_read_float can reach`,
        'use fewer or narrower layers',
      );
    }
    return est;
  }
  const key = kind === 'flash' ? 'flashBytes' : 'sramBytes';
  const needed = kind === 'flash' ? est.flashBytes : sramNeeded;
  const limit = kind === 'flash' ? est.flashLimit : est.sramLimit;
  const stack = kind === 'SRAM' ? ` (${fmt(est.sramBytes)} static + ${fmt(est.stackReserve)} for the stack)` : '';
  const head = `model "${model.name}" needs about ${fmt(needed)} bytes of ${kind}${stack} on the ${board.name} (${board.id}), which has ${fmt(limit)}`;
  const buffers = est.parts.find((p) => p.part.startsWith('buffers'))!;
  if (kind === 'SRAM' && layerParts.every((p) => p.sramBytes < buffers.sramBytes)) {
    // Weights are in flash: the RAM goes to the input and activation buffers, 4 bytes per float.
    throw new ModelTooLargeError(
      `${head}: the ${buffers.part} take ${fmt(buffers.sramBytes)} bytes`,
      `use fewer inputs (${inputCount(model)} now) or narrower hidden layers, or pick a board with more SRAM`,
    );
  }
  let worst = 0;
  layerParts.forEach((p, k) => {
    if (p[key] > layerParts[worst]![key]) worst = k;
  });
  const layer = model.layers[worst]!;
  const next = model.layers[worst + 1];
  const inFlash = kind === 'flash' || !board.weightsInFlash;
  const perUnit = inFlash ? (layer.inputs + 1 + (next ? next.outputs : 0)) * FLOAT : 2 * FLOAT;
  const over = kind === 'flash' ? flashOver : sramOver;
  const widest = widestThatFits(model, worst, perUnit, -over);
  const advice =
    widest !== undefined && widest > 0
      ? `shrink layer ${worst + 1} (dense ${layer.inputs} -> ${layer.outputs}) to at most ${widest} units, or pick a board with more ${kind}`
      : `use fewer inputs or narrower layers before layer ${worst + 1} (dense ${layer.inputs} -> ${layer.outputs}), or pick a board with more ${kind}`;
  throw new ModelTooLargeError(
    `${head}: layer ${worst + 1} (dense ${layer.inputs} -> ${layer.outputs}) alone takes ${fmt(layerParts[worst]![key])} bytes`,
    advice,
  );
}
