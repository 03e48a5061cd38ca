// The sketch view model: every value the templates print, decided here, so the templates compute nothing.
import type { BoardProfile } from '../core/boards.js';
import type { Activation, ModelFile, Normalization } from '../core/model.js';
import { inputCount, outputCount } from '../core/model.js';
import { sketchName, toolVersion } from '../core/paths.js';

/** Part of a layer's rows in one C array: avr-gcc refuses arrays of 32 KB or more, so wide layers are split by neuron. */
export interface ChunkView {
  /** C array name: nn_l<k>_weights, or nn_l<k>_weights_<c> when the layer is split. */
  readonly name: string;
  readonly rows: readonly (readonly number[])[];
  readonly outputs: number;
  /** C expressions for this chunk's biases and its first output: `nn_l1_biases + 64`, `output + 64`. */
  readonly biases: string;
  readonly target: string;
}

/** Largest C array, bytes (avr-gcc: PTRDIFF_MAX of a 16-bit target). */
export const MAX_ARRAY_BYTES = 32_767;

export interface LayerView {
  /** 1-based, as in the comments: `// layer 1: dense 64 -> 32, relu`. */
  readonly number: number;
  readonly inputs: number;
  readonly outputs: number;
  readonly activation: Activation;
  readonly weights: readonly (readonly number[])[];
  readonly biases: readonly number[];
  /** C expressions of the buffer the layer reads and the one it writes. */
  readonly source: string;
  readonly target: string;
  /** Runtime function applied in place after the layer, or '' for linear. */
  readonly activationFn: string;
  readonly chunks: readonly ChunkView[];
}

export interface SketchView {
  readonly toolVersion: string;
  readonly modelHash: string;
  readonly modelName: string;
  readonly sketchName: string;
  readonly boardId: string;
  readonly boardName: string;
  readonly baud: number;
  /** 1: weights, biases and strings in flash (PROGMEM); 0: plain const. From the board profile. */
  readonly weightsInFlash: 0 | 1;
  readonly inputs: number;
  readonly outputs: number;
  readonly inputNames: readonly string[];
  readonly labels: readonly string[];
  readonly labelCount: number;
  readonly isClassification: boolean;
  readonly isBinary: boolean;
  readonly threshold: number;
  readonly normalization: Normalization;
  readonly layers: readonly LayerView[];
  readonly layerCount: number;
  /** Floats in the two ping-pong buffers; buf1Size is 0 when a single layer needs only one. */
  readonly buf0Size: number;
  readonly buf1Size: number;
}

const ACTIVATION_FN: Record<Activation, string> = {
  linear: '',
  relu: 'nn_relu_vec',
  sigmoid: 'nn_sigmoid_vec',
  tanh: 'nn_tanh_vec',
  softmax: 'nn_softmax_vec',
};

/**
 * Buffers: the normalized input goes to nn_buf0; layer k reads nn_buf0 (k even) or nn_buf1 (k odd) and writes the other,
 * except the last layer, which writes the caller's output array. Each buffer is sized to the widest vector it holds.
 * Options: version (default: package.json's), sketchName (default: sketchName(model.name)).
 */
export function buildSketchView(model: ModelFile, board: BoardProfile, opts: { version?: string; sketchName?: string } = {}): SketchView {
  const buffers = ['nn_buf0', 'nn_buf1'] as const;
  const sizes = [inputCount(model), 0];
  const last = model.layers.length - 1;
  const layers = model.layers.map((layer, k): LayerView => {
    const target = k === last ? 'output' : buffers[(k + 1) % 2]!;
    if (k !== last) sizes[(k + 1) % 2] = Math.max(sizes[(k + 1) % 2]!, layer.outputs);
    const rowsPerChunk = Math.max(1, Math.floor(MAX_ARRAY_BYTES / (4 * layer.inputs)));
    const count = Math.ceil(layer.outputs / rowsPerChunk);
    const chunks = Array.from({ length: count }, (_, c): ChunkView => {
      const first = c * rowsPerChunk;
      const rows = layer.weights.slice(first, first + rowsPerChunk);
      const offset = first === 0 ? '' : ` + ${first}`;
      return {
        name: count === 1 ? `nn_l${k + 1}_weights` : `nn_l${k + 1}_weights_${c}`,
        rows,
        outputs: rows.length,
        biases: `nn_l${k + 1}_biases${offset}`,
        target: `${target}${offset}`,
      };
    });
    return {
      number: k + 1,
      inputs: layer.inputs,
      outputs: layer.outputs,
      activation: layer.activation,
      weights: layer.weights,
      biases: layer.biases,
      source: buffers[k % 2]!,
      target,
      activationFn: ACTIVATION_FN[layer.activation],
      chunks,
    };
  });
  return {
    toolVersion: opts.version ?? toolVersion(),
    modelHash: model.hash,
    modelName: model.name,
    sketchName: opts.sketchName ?? sketchName(model.name),
    boardId: board.id,
    boardName: board.name,
    baud: board.baud,
    weightsInFlash: board.weightsInFlash ? 1 : 0,
    inputs: inputCount(model),
    outputs: outputCount(model),
    inputNames: model.inputNames,
    labels: model.labels,
    labelCount: model.labels.length,
    isClassification: model.task === 'classification',
    isBinary: model.task === 'binary',
    threshold: model.threshold,
    normalization: model.normalization,
    layers,
    layerCount: layers.length,
    buf0Size: sizes[0]!,
    buf1Size: sizes[1]!,
  };
}
