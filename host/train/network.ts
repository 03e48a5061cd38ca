// The training network: dense layers over one float64 heap, forward and backprop a mini-batch at a time through the kernels.
import type { Activation, DenseLayer } from '../core/model.js';
import { DERIVATIVE_CODES, jsKernels } from './kernels/reference.js';
import type { DenseKernels, DerivativeCode, KernelEngine } from './kernels/reference.js';
import { wasmKernels } from './kernels/wasm.js';
import { ADAM } from './optimizers.js';
import type { Rng } from './rng.js';

export const LOSSES = ['mse', 'cross-entropy', 'hinge'] as const;
export type LossName = (typeof LOSSES)[number];

export const INITS = ['auto', 'xavier', 'he'] as const;
/** auto: He for relu layers, Xavier (Glorot uniform) otherwise. */
export type InitName = (typeof INITS)[number];

export interface NetworkOptions {
  /** Rows per kernel call; a larger mini-batch runs in chunks of this many, its gradient summed (default 64). */
  readonly chunkRows?: number;
  /** Kernels: wasm (f64x2 SIMD) or js (the reference twin, same bits); default wasm, js where wasm SIMD is missing. */
  readonly engine?: KernelEngine;
  /** Training inputs (rows of sizes[0]) to keep in the heap, so accumulateBatch() gathers them there (default none). */
  readonly data?: Float64Array;
}

/** The rows a training step reads: row r of `x` (width nIn) is the input of sample r, `t[r]` its target. */
export interface TrainingRows {
  readonly x: Float64Array;
  readonly t: Float64Array;
}

type Task = 'classification' | 'binary' | 'regression';

/**
 * Layer k maps sizes[k] inputs to sizes[k+1] outputs with activations[k]. Weights are stored input-major
 * (W[i * out + o]) so the kernels' inner loops run over contiguous outputs and can skip zero inputs (sparse pixels,
 * dead relus). Parameters, gradient, Adam moments and the per-row activations and deltas of a chunk of rows all live
 * in one float64 heap (the wasm memory with the wasm engine); the public arrays are views of it.
 */
export class Network {
  readonly sizes: readonly number[];
  readonly activations: readonly Activation[];
  readonly loss: LossName;
  readonly kernels: DenseKernels;
  readonly params: Float64Array;
  readonly grad: Float64Array;
  /** 1 for weights, 0 for biases: L2 decay applies to weights only. */
  readonly decayMask: Float64Array;
  readonly wOff: readonly number[];
  readonly bOff: readonly number[];
  /** a[0] is the input, a[k+1] the output of layer k (row 0 of the chunk: the single-sample API). */
  readonly a: Float64Array[];
  /** delta[k]: dLoss/d(pre-activation) of layer k's outputs (row 0 of the chunk). */
  readonly delta: Float64Array[];
  /** Rows per kernel call. */
  readonly chunkRows: number;
  private readonly heap: Float64Array;
  /** Heap offsets: params (at 0, so wOff and bOff index both), grad, mask, Adam's m and v, then per layer the chunk's activations and deltas. */
  private readonly gOff: number;
  private readonly maskOff: number;
  private readonly mOff: number;
  private readonly vOff: number;
  private readonly aOff: readonly number[];
  private readonly dOff: readonly number[];
  private readonly wtOff: number;
  /** The training inputs kept in the heap (options.data) and their offset. */
  private readonly resident: Float64Array | undefined;
  private readonly dataOff: number;
  private adamSteps = 0;
  private readonly derivativeCodes: readonly DerivativeCode[];

  constructor(sizes: readonly number[], activations: readonly Activation[], loss: LossName, options: NetworkOptions = {}) {
    this.sizes = sizes;
    this.activations = activations;
    this.loss = loss;
    this.derivativeCodes = activations.map((a) => (a === 'softmax' ? DERIVATIVE_CODES.linear : DERIVATIVE_CODES[a]));
    const chunk = Math.max(1, Math.floor(options.chunkRows ?? 64));
    this.chunkRows = chunk;
    const wOff: number[] = [];
    const bOff: number[] = [];
    let n = 0;
    for (let k = 0; k + 1 < sizes.length; k++) {
      wOff.push(n);
      n += (sizes[k] as number) * (sizes[k + 1] as number);
      bOff.push(n);
      n += sizes[k + 1] as number;
    }
    // Every region starts on an even element (16 bytes) so the SIMD loads of a row start aligned where they can.
    let top = 0;
    const region = (len: number): number => {
      const at = top;
      top += len + (len & 1);
      return at;
    };
    region(n); // params
    this.gOff = region(n);
    this.maskOff = region(n);
    this.mOff = region(n);
    this.vOff = region(n);
    this.aOff = sizes.map((s) => region(chunk * s));
    this.dOff = sizes.slice(1).map((s) => region(chunk * s));
    // Scratch for one hidden layer's weights transposed (the delta kernel's).
    this.wtOff = region(Math.max(0, ...wOff.map((_w, k) => (k > 0 ? (sizes[k] as number) * (sizes[k + 1] as number) : 0))));
    const scratch = Math.max(chunk, ...sizes);
    const engine = options.engine ?? 'wasm';
    const noData = top;
    this.dataOff = region(options.data?.length ?? 0);
    // Training data too big for the wasm memory stays outside the heap (copied a chunk at a time) rather than
    // costing the wasm kernels.
    this.kernels = (engine === 'wasm' ? (wasmKernels(top, scratch) ?? wasmKernels(noData, scratch)) : null) ?? jsKernels(top, scratch);
    this.resident = this.kernels.heap.length >= top ? options.data : undefined;
    if (this.resident) this.kernels.heap.set(this.resident, this.dataOff);
    const h = this.kernels.heap;
    this.heap = h;
    this.wOff = wOff;
    this.bOff = bOff;
    this.params = h.subarray(0, n);
    this.grad = h.subarray(this.gOff, this.gOff + n);
    this.decayMask = h.subarray(this.maskOff, this.maskOff + n);
    for (let k = 0; k < wOff.length; k++) this.decayMask.fill(1, wOff[k], bOff[k]);
    this.a = sizes.map((s, k) => h.subarray(this.aOff[k] as number, (this.aOff[k] as number) + s));
    this.delta = sizes.slice(1).map((s, k) => h.subarray(this.dOff[k] as number, (this.dOff[k] as number) + s));
  }

  get layerCount(): number {
    return this.sizes.length - 1;
  }

  /** Offset of weight (i, o) of layer k in `params` (input-major). */
  weightIndex(k: number, i: number, o: number): number {
    return (this.wOff[k] as number) + i * (this.sizes[k + 1] as number) + o;
  }

  /** Xavier uniform U(+-sqrt(6 / (in + out))) or He normal N(0, 2 / in); biases 0. */
  initialize(rng: Rng, init: InitName): void {
    this.params.fill(0);
    for (let k = 0; k < this.layerCount; k++) {
      const nIn = this.sizes[k] as number;
      const nOut = this.sizes[k + 1] as number;
      const he = init === 'he' || (init === 'auto' && this.activations[k] === 'relu');
      // Drawn in model order (row o = neuron, column i = input) so the draw does not depend on the storage layout.
      for (let o = 0; o < nOut; o++) {
        for (let i = 0; i < nIn; i++) {
          const w = he ? rng.normal() * Math.sqrt(2 / nIn) : (rng.next() * 2 - 1) * Math.sqrt(6 / (nIn + nOut));
          this.params[this.weightIndex(k, i, o)] = w;
        }
      }
    }
  }

  /** Forward pass of one sample already in a[0] (float64, Math.exp); returns the output buffer. */
  forward(): Float64Array {
    this.forwardRows(1);
    return this.a[this.layerCount] as Float64Array;
  }

  /** Forward pass of the first `rows` rows of the chunk (inputs at a[0]'s offset, one row after another). */
  private forwardRows(rows: number): void {
    for (let k = 0; k < this.layerCount; k++) {
      const nIn = this.sizes[k] as number;
      const nOut = this.sizes[k + 1] as number;
      const y = this.aOff[k + 1] as number;
      const act = this.activations[k] as Activation;
      this.kernels.forward(this.aOff[k] as number, this.wOff[k] as number, this.bOff[k] as number, y, rows, nIn, nOut, act === 'relu');
      if (act === 'softmax') this.kernels.softmax(y, rows, nOut);
      else if (act !== 'relu') activateRows(act, this.heap, y, rows, nOut); // relu: fused into the forward kernel
    }
  }

  /**
   * Loss of the current output against the target, and delta of the output layer.
   * `target`: class id (classification, binary) or value (regression). Binary targets are 0/1 for a sigmoid output
   * (cross-entropy, mse) and -1/+1 otherwise (hinge, or mse with a tanh/linear output).
   */
  outputLoss(target: number, task: Task): number {
    return this.rowLoss(0, target, task);
  }

  /** outputLoss() for row r of the chunk. */
  private rowLoss(r: number, target: number, task: Task): number {
    const L = this.layerCount;
    const n = this.sizes[L] as number;
    const h = this.heap;
    const y = (this.aOff[L] as number) + r * n;
    const d = (this.dOff[L - 1] as number) + r * n;
    const act = this.activations[L - 1] as Activation;
    let loss = 0;
    switch (this.loss) {
      case 'cross-entropy': {
        // softmax + CE, or sigmoid + binary CE per output: delta = p - t either way.
        if (act === 'softmax') {
          for (let o = 0; o < n; o++) h[d + o] = h[y + o] as number;
          h[d + target] = (h[y + target] as number) - 1;
          return -Math.log(Math.max(h[y + target] as number, 1e-300));
        }
        for (let o = 0; o < n; o++) {
          const t = task === 'binary' ? target : o === target ? 1 : 0;
          const p = h[y + o] as number;
          h[d + o] = p - t;
          loss -= t * Math.log(Math.max(p, 1e-300)) + (1 - t) * Math.log(Math.max(1 - p, 1e-300));
        }
        return loss;
      }
      case 'mse': {
        const lo = act === 'sigmoid' || act === 'relu' ? 0 : -1;
        for (let o = 0; o < n; o++) {
          const t = task === 'regression' ? target : task === 'binary' ? (target === 1 ? 1 : lo) : o === target ? 1 : lo;
          const yo = h[y + o] as number;
          const e = yo - t;
          loss += (e * e) / n;
          h[d + o] = ((2 * e) / n) * derivative(act, yo);
        }
        return loss;
      }
      case 'hinge': {
        if (task === 'binary') {
          const t = target === 1 ? 1 : -1;
          const y0 = h[y] as number;
          const margin = t * y0;
          h[d] = margin < 1 ? -t * derivative(act, y0) : 0;
          return Math.max(0, 1 - margin);
        }
        // Multi-class (Weston-Watkins) hinge: sum over wrong classes of max(0, s_j - s_c + 1).
        const sc = h[y + target] as number;
        let count = 0;
        for (let o = 0; o < n; o++) {
          h[d + o] = 0;
          if (o === target) continue;
          const yo = h[y + o] as number;
          const m = yo - sc + 1;
          if (m > 0) {
            loss += m;
            h[d + o] = derivative(act, yo);
            count++;
          }
        }
        h[d + target] = -count * derivative(act, sc);
        return loss;
      }
    }
  }

  /** Add this sample's gradient to `grad` (call after forward() and outputLoss()). */
  backward(): void {
    this.backwardRows(1);
  }

  /** Add the gradient of the chunk's first `rows` rows to `grad` (their output deltas set by rowLoss). */
  private backwardRows(rows: number): void {
    const k = this.kernels;
    for (let l = this.layerCount - 1; l >= 0; l--) {
      const nIn = this.sizes[l] as number;
      const nOut = this.sizes[l + 1] as number;
      const d = this.dOff[l] as number;
      const x = this.aOff[l] as number;
      k.grad(x, d, this.gOff + (this.wOff[l] as number), this.gOff + (this.bOff[l] as number), rows, nIn, nOut);
      if (l > 0) k.delta(d, this.wOff[l] as number, this.wtOff, x, this.dOff[l - 1] as number, rows, nIn, nOut, this.derivativeCodes[l - 1] as DerivativeCode);
    }
  }

  /**
   * Forward, loss and backprop of rows order[start..end) of `data` (added to `grad`, in chunks of chunkRows);
   * returns the summed loss.
   */
  accumulateBatch(data: TrainingRows, order: Uint32Array, start: number, end: number, task: Task): number {
    const h = this.heap;
    const nIn = this.sizes[0] as number;
    const x = data.x;
    let loss = 0;
    for (let c = start; c < end; c += this.chunkRows) {
      const rows = Math.min(this.chunkRows, end - c);
      if (x === this.resident) {
        const at = this.kernels.rowIndex;
        for (let r = 0; r < rows; r++) at[r] = order[c + r] as number;
        this.kernels.gather(this.dataOff, rows, nIn, this.aOff[0] as number);
      } else {
        for (let r = 0; r < rows; r++) {
          const src = (order[c + r] as number) * nIn;
          const dst = (this.aOff[0] as number) + r * nIn;
          for (let i = 0; i < nIn; i++) h[dst + i] = x[src + i] as number;
        }
      }
      this.forwardRows(rows);
      for (let r = 0; r < rows; r++) loss += this.rowLoss(r, data.t[order[c + r] as number] as number, task);
      this.backwardRows(rows);
    }
    return loss;
  }

  /**
   * One Adam step (ADAM constants, learning rate lr) from the summed gradient of `rows` rows, with L2 decay l2 on the
   * weights: the same float64 arithmetic as an averaging loop followed by createOptimizer('adam').step().
   */
  adamStep(lr: number, rows: number, l2: number): void {
    this.adamSteps++;
    const t = this.adamSteps;
    const { beta1: b1, beta2: b2, eps } = ADAM;
    const a = (lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
    this.kernels.adam(0, this.gOff, this.mOff, this.vOff, this.maskOff, this.params.length, 1 / rows, l2, a, b1, 1 - b1, b2, 1 - b2, eps);
  }

  /** The layers as model.json wants them: weights[o][i], one row per neuron (float64 here; finalizeModel rounds). */
  toLayers(): DenseLayer[] {
    const layers: DenseLayer[] = [];
    for (let k = 0; k < this.layerCount; k++) {
      const nIn = this.sizes[k] as number;
      const nOut = this.sizes[k + 1] as number;
      const b = this.bOff[k] as number;
      const weights: number[][] = [];
      for (let o = 0; o < nOut; o++) {
        const row = new Array<number>(nIn);
        for (let i = 0; i < nIn; i++) row[i] = this.params[this.weightIndex(k, i, o)] as number;
        weights.push(row);
      }
      layers.push({ inputs: nIn, outputs: nOut, activation: this.activations[k] as Activation, weights, biases: Array.from(this.params.subarray(b, b + nOut)) });
    }
    return layers;
  }
}

/** Activation in place over `rows` rows of width n starting at h[off], float64 (relu and softmax run in the kernels). */
function activateRows(act: 'linear' | 'sigmoid' | 'tanh', h: Float64Array, off: number, rows: number, n: number): void {
  const end = off + rows * n;
  switch (act) {
    case 'linear':
      return;
    case 'sigmoid':
      for (let j = off; j < end; j++) h[j] = 1 / (1 + Math.exp(-(h[j] as number)));
      return;
    case 'tanh':
      for (let j = off; j < end; j++) h[j] = Math.tanh(h[j] as number);
      return;
  }
}

/** d(activation)/dz expressed through the activation's output a (softmax only with cross-entropy, never here). */
export function derivative(act: Activation, a: number): number {
  switch (act) {
    case 'linear':
      return 1;
    case 'relu':
      return a > 0 ? 1 : 0;
    case 'sigmoid':
      return a * (1 - a);
    case 'tanh':
      return 1 - a * a;
    case 'softmax':
      return 1;
  }
}
