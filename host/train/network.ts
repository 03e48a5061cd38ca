// The training network: dense layers over one Float64Array of parameters, forward and backprop with no per-sample allocation.
import type { Activation, DenseLayer } from '../core/model.js';
import type { Rng } from './rng.js';

export const LOSSES = ['mse', 'cross-entropy', 'hinge'] as const;
export type LossName = (typeof LOSSES)[number];

export const INITS = ['auto', 'xavier', 'he'] as const;
/** auto: He for relu layers, Xavier (Glorot uniform) otherwise. */
export type InitName = (typeof INITS)[number];

/**
 * Layer k maps sizes[k] inputs to sizes[k+1] outputs with activations[k]. Weights are stored input-major
 * (W[i * out + o]) so the inner loops run over contiguous outputs and can skip zero inputs (sparse pixels, dead relus).
 */
export class Network {
  readonly sizes: readonly number[];
  readonly activations: readonly Activation[];
  readonly loss: LossName;
  readonly params: Float64Array;
  readonly grad: Float64Array;
  /** 1 for weights, 0 for biases: L2 decay applies to weights only. */
  readonly decayMask: Float64Array;
  readonly wOff: readonly number[];
  readonly bOff: readonly number[];
  /** a[0] is the input, a[k+1] the output of layer k. */
  readonly a: Float64Array[];
  /** delta[k]: dLoss/d(pre-activation) of layer k's outputs. */
  readonly delta: Float64Array[];
  /** Samples back-propagated since the last flushGradient(), at most batchCap. */
  private pending = 0;
  private readonly batchCap = 64;
  private readonly batchDelta: Float64Array;
  private readonly colCount: Int32Array;
  private readonly colSample: Int32Array;
  private readonly colValue: Float64Array;
  /** The sparse input row of the last forwardSparse() (inNnz = -1 after a dense forward()). */
  private inNnz = -1;
  private readonly inCol: Int32Array;
  private readonly inOff: Int32Array;
  private readonly inVal: Float64Array;
  /** Scratch: offsets and values of a layer's non-zero inputs. */
  private readonly nzIdx: Int32Array;
  private readonly nzVal: Float64Array;

  constructor(sizes: readonly number[], activations: readonly Activation[], loss: LossName) {
    this.sizes = sizes;
    this.activations = activations;
    this.loss = loss;
    const wOff: number[] = [];
    const bOff: number[] = [];
    let n = 0;
    for (let k = 0; k + 1 < sizes.length; k++) {
      wOff.push(n);
      n += (sizes[k] as number) * (sizes[k + 1] as number);
      bOff.push(n);
      n += sizes[k + 1] as number;
    }
    this.wOff = wOff;
    this.bOff = bOff;
    this.params = new Float64Array(n);
    this.grad = new Float64Array(n);
    this.decayMask = new Float64Array(n);
    for (let k = 0; k < wOff.length; k++) this.decayMask.fill(1, wOff[k], bOff[k]);
    this.a = sizes.map((s) => new Float64Array(s));
    const widest = Math.max(...sizes);
    this.nzIdx = new Int32Array(widest);
    this.nzVal = new Float64Array(widest);
    this.inCol = new Int32Array(sizes[0] ?? 0);
    this.inOff = new Int32Array(sizes[0] ?? 0);
    this.inVal = new Float64Array(sizes[0] ?? 0);
    this.batchDelta = new Float64Array(this.batchCap * (sizes[1] ?? 0));
    this.colCount = new Int32Array(sizes[0] ?? 0);
    this.colSample = new Int32Array(this.batchCap * (sizes[0] ?? 0));
    this.colValue = new Float64Array(this.batchCap * (sizes[0] ?? 0));
    this.delta = sizes.slice(1).map((s) => new Float64Array(s));
  }

  get layerCount(): number {
    return this.sizes.length - 1;
  }

  /** Xavier uniform U(+-sqrt(6 / (in + out))) or He normal N(0, 2 / in); biases 0. */
  initialize(rng: Rng, init: InitName): void {
    this.params.fill(0);
    for (let k = 0; k < this.layerCount; k++) {
      const nIn = this.sizes[k] as number;
      const nOut = this.sizes[k + 1] as number;
      const he = init === 'he' || (init === 'auto' && this.activations[k] === 'relu');
      const off = this.wOff[k] as number;
      // Drawn in model order (row o = neuron, column i = input) so the draw does not depend on the storage layout.
      for (let o = 0; o < nOut; o++) {
        for (let i = 0; i < nIn; i++) {
          const w = he ? rng.normal() * Math.sqrt(2 / nIn) : (rng.next() * 2 - 1) * Math.sqrt(6 / (nIn + nOut));
          this.params[off + i * nOut + o] = w;
        }
      }
    }
  }

  /** Forward pass of one sample already in a[0] (float64, Math.exp); returns the output buffer. */
  forward(): Float64Array {
    this.inNnz = -1;
    const p = this.params;
    for (let k = 0; k < this.layerCount; k++) {
      const x = this.a[k] as Float64Array;
      const y = this.a[k + 1] as Float64Array;
      const nIn = x.length;
      const nOut = y.length;
      const w = this.wOff[k] as number;
      const b = this.bOff[k] as number;
      denseForward(p, w, b, x, nIn, y, nOut, this.nzIdx, this.nzVal);
      activate(this.activations[k] as Activation, y);
    }
    return this.a[this.layerCount] as Float64Array;
  }

  /**
   * forward() for an input row given by its non-zero entries (cols[k], vals[k]) for k in [start, end): the training
   * loop precomputes them once per row, so the first layer neither scans for zeros nor mispredicts on them.
   * a[0] is filled too. backward() after this uses the same list for the first layer's gradient.
   */
  forwardSparse(cols: Int32Array, vals: Float64Array, start: number, end: number): Float64Array {
    const a0 = this.a[0] as Float64Array;
    a0.fill(0);
    const nOut = this.sizes[1] as number;
    const w = this.wOff[0] as number;
    const nnz = end - start;
    for (let k = 0; k < nnz; k++) {
      const i = cols[start + k] as number;
      const v = vals[start + k] as number;
      a0[i] = v;
      this.inCol[k] = i;
      this.inOff[k] = w + i * nOut;
      this.inVal[k] = v;
    }
    this.inNnz = nnz;
    const p = this.params;
    denseKernel(p, this.bOff[0] as number, this.inOff, this.inVal, nnz, this.a[1] as Float64Array, nOut);
    activate(this.activations[0] as Activation, this.a[1] as Float64Array);
    for (let k = 1; k < this.layerCount; k++) {
      const x = this.a[k] as Float64Array;
      const y = this.a[k + 1] as Float64Array;
      denseForward(p, this.wOff[k] as number, this.bOff[k] as number, x, x.length, y, y.length, this.nzIdx, this.nzVal);
      activate(this.activations[k] as Activation, y);
    }
    return this.a[this.layerCount] as Float64Array;
  }

  /**
   * Loss of the current output against the target, and delta of the output layer.
   * `target`: class id (classification, binary) or value (regression). Binary targets are 0/1 for a sigmoid output
   * (cross-entropy, mse) and -1/+1 otherwise (hinge, or mse with a tanh/linear output).
   */
  outputLoss(target: number, task: 'classification' | 'binary' | 'regression'): number {
    const L = this.layerCount;
    const y = this.a[L] as Float64Array;
    const d = this.delta[L - 1] as Float64Array;
    const act = this.activations[L - 1] as Activation;
    const n = y.length;
    let loss = 0;
    switch (this.loss) {
      case 'cross-entropy': {
        // softmax + CE, or sigmoid + binary CE per output: delta = p - t either way.
        for (let o = 0; o < n; o++) {
          const t = task === 'binary' ? target : o === target ? 1 : 0;
          const p = y[o] as number;
          d[o] = p - t;
          if (act === 'softmax') {
            if (t === 1) loss -= Math.log(Math.max(p, 1e-300));
          } else {
            loss -= t * Math.log(Math.max(p, 1e-300)) + (1 - t) * Math.log(Math.max(1 - p, 1e-300));
          }
        }
        return loss;
      }
      case 'mse': {
        const lo = act === 'sigmoid' || act === 'relu' ? 0 : -1;
        for (let o = 0; o < n; o++) {
          const t = task === 'regression' ? target : task === 'binary' ? (target === 1 ? 1 : lo) : o === target ? 1 : lo;
          const e = (y[o] as number) - t;
          loss += (e * e) / n;
          d[o] = ((2 * e) / n) * derivative(act, y[o] as number);
        }
        return loss;
      }
      case 'hinge': {
        if (task === 'binary') {
          const t = target === 1 ? 1 : -1;
          const margin = t * (y[0] as number);
          d[0] = margin < 1 ? -t * derivative(act, y[0] as number) : 0;
          return Math.max(0, 1 - margin);
        }
        // Multi-class (Weston-Watkins) hinge: sum over wrong classes of max(0, s_j - s_c + 1).
        const sc = y[target] as number;
        let count = 0;
        for (let o = 0; o < n; o++) {
          d[o] = 0;
          if (o === target) continue;
          const m = (y[o] as number) - sc + 1;
          if (m > 0) {
            loss += m;
            d[o] = derivative(act, y[o] as number);
            count++;
          }
        }
        d[target] = -count * derivative(act, sc);
        return loss;
      }
    }
  }

  /**
   * The first layer's weight gradient sum_s x_s^T delta_s is the biggest cost: it is gathered per batch, by input
   * column (non-zero inputs only), and summed with eight outputs in registers in flushGradient().
   */
  private deferFirstLayer(x: Float64Array, d: Float64Array): void {
    const s = this.pending++;
    const nOut = d.length;
    const D = this.batchDelta;
    for (let o = 0; o < nOut; o++) D[s * nOut + o] = d[o] as number;
    const cap = this.batchCap;
    if (this.inNnz >= 0) {
      for (let k = 0; k < this.inNnz; k++) {
        const i = this.inCol[k] as number;
        const c = this.colCount[i] as number;
        this.colCount[i] = c + 1;
        this.colSample[i * cap + c] = s;
        this.colValue[i * cap + c] = this.inVal[k] as number;
      }
      if (this.pending === cap) this.flushGradient();
      return;
    }
    for (let i = 0; i < x.length; i++) {
      const xi = x[i] as number;
      if (xi === 0) continue;
      const c = this.colCount[i] as number;
      this.colCount[i] = c + 1;
      this.colSample[i * cap + c] = s;
      this.colValue[i * cap + c] = xi;
    }
    if (this.pending === cap) this.flushGradient();
  }

  /** Finish `grad` for the samples back-propagated so far (call before reading grad). */
  flushGradient(): void {
    if (this.pending === 0) return;
    const g = this.grad;
    const D = this.batchDelta;
    const nIn = this.sizes[0] as number;
    const nOut = this.sizes[1] as number;
    const w = this.wOff[0] as number;
    const cap = this.batchCap;
    const colSample = this.colSample;
    const colValue = this.colValue;
    for (let i = 0; i < nIn; i++) {
      const cnt = this.colCount[i] as number;
      if (cnt === 0) continue;
      this.colCount[i] = 0;
      const c0 = i * cap;
      const row = w + i * nOut;
      let o = 0;
      for (; o + 7 < nOut; o += 8) {
        let a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0; // prettier-ignore
        for (let c = c0; c < c0 + cnt; c++) {
          const base = (colSample[c] as number) * nOut + o;
          const xv = colValue[c] as number;
          a0 += xv * (D[base] as number);
          a1 += xv * (D[base + 1] as number);
          a2 += xv * (D[base + 2] as number);
          a3 += xv * (D[base + 3] as number);
          a4 += xv * (D[base + 4] as number);
          a5 += xv * (D[base + 5] as number);
          a6 += xv * (D[base + 6] as number);
          a7 += xv * (D[base + 7] as number);
        }
        const r = row + o;
        g[r] = (g[r] as number) + a0;
        g[r + 1] = (g[r + 1] as number) + a1;
        g[r + 2] = (g[r + 2] as number) + a2;
        g[r + 3] = (g[r + 3] as number) + a3;
        g[r + 4] = (g[r + 4] as number) + a4;
        g[r + 5] = (g[r + 5] as number) + a5;
        g[r + 6] = (g[r + 6] as number) + a6;
        g[r + 7] = (g[r + 7] as number) + a7;
      }
      for (; o < nOut; o++) {
        let a0 = 0;
        for (let c = c0; c < c0 + cnt; c++) a0 += (colValue[c] as number) * (D[(colSample[c] as number) * nOut + o] as number);
        g[row + o] = (g[row + o] as number) + a0;
      }
    }
    this.pending = 0;
  }

  /** Add this sample's gradient to `grad` (call after forward() and outputLoss(); flushGradient() before reading grad). */
  backward(): void {
    const p = this.params;
    const g = this.grad;
    for (let k = this.layerCount - 1; k >= 0; k--) {
      const x = this.a[k] as Float64Array;
      const d = this.delta[k] as Float64Array;
      const nIn = x.length;
      const nOut = d.length;
      const w = this.wOff[k] as number;
      const b = this.bOff[k] as number;
      for (let o = 0; o < nOut; o++) g[b + o] = (g[b + o] as number) + (d[o] as number);
      if (k === 0) {
        this.deferFirstLayer(x, d);
        break;
      }
      // Weight gradient and the previous layer's delta in one pass over each weight row (same sums, same order as
      // an axpy and a two-accumulator dot); a dead relu unit (output 0, derivative 0) is skipped entirely.
      const prev = this.delta[k - 1] as Float64Array;
      const act = this.activations[k - 1] as Activation;
      for (let i = 0; i < nIn; i++) {
        const xi = x[i] as number;
        const dz = derivative(act, xi);
        if (xi === 0 && dz === 0) {
          prev[i] = 0;
          continue;
        }
        const row = w + i * nOut;
        let s0 = 0;
        let s1 = 0;
        let o = 0;
        for (; o + 1 < nOut; o += 2) {
          const d0 = d[o] as number;
          const d1 = d[o + 1] as number;
          g[row + o] = (g[row + o] as number) + xi * d0;
          g[row + o + 1] = (g[row + o + 1] as number) + xi * d1;
          s0 += (p[row + o] as number) * d0;
          s1 += (p[row + o + 1] as number) * d1;
        }
        if (o < nOut) {
          const d0 = d[o] as number;
          g[row + o] = (g[row + o] as number) + xi * d0;
          s0 += (p[row + o] as number) * d0;
        }
        prev[i] = dz === 0 ? 0 : (s0 + s1) * dz;
      }
    }
  }

  /** The layers as model.json wants them: weights[o][i], one row per neuron (float64 here; finalizeModel rounds). */
  toLayers(): DenseLayer[] {
    const layers: DenseLayer[] = [];
    for (let k = 0; k < this.layerCount; k++) {
      const nIn = this.sizes[k] as number;
      const nOut = this.sizes[k + 1] as number;
      const w = this.wOff[k] as number;
      const b = this.bOff[k] as number;
      const weights: number[][] = [];
      for (let o = 0; o < nOut; o++) {
        const row = new Array<number>(nIn);
        for (let i = 0; i < nIn; i++) row[i] = this.params[w + i * nOut + o] as number;
        weights.push(row);
      }
      layers.push({ inputs: nIn, outputs: nOut, activation: this.activations[k] as Activation, weights, biases: Array.from(this.params.subarray(b, b + nOut)) });
    }
    return layers;
  }
}

/**
 * y = b + x W for one layer, skipping zero inputs (digits pixels after min-max scaling, dead relus), with eight output
 * accumulators held in registers: the fastest shape V8 gave us (about 2x a plain rank-1 update loop).
 */
function denseForward(p: Float64Array, w: number, b: number, x: Float64Array, nIn: number, y: Float64Array, nOut: number, idx: Int32Array, val: Float64Array): void {
  let nnz = 0;
  for (let i = 0; i < nIn; i++) {
    const xi = x[i] as number;
    if (xi !== 0) {
      idx[nnz] = w + i * nOut;
      val[nnz] = xi;
      nnz++;
    }
  }
  denseKernel(p, b, idx, val, nnz, y, nOut);
}

/** y[o] = p[b + o] + sum_k val[k] * p[idx[k] + o]: idx holds the weight-row offsets of the non-zero inputs. */
function denseKernel(p: Float64Array, b: number, idx: Int32Array, val: Float64Array, nnz: number, y: Float64Array, nOut: number): void {
  let o = 0;
  for (; o + 7 < nOut; o += 8) {
    let s0 = p[b + o] as number;
    let s1 = p[b + o + 1] as number;
    let s2 = p[b + o + 2] as number;
    let s3 = p[b + o + 3] as number;
    let s4 = p[b + o + 4] as number;
    let s5 = p[b + o + 5] as number;
    let s6 = p[b + o + 6] as number;
    let s7 = p[b + o + 7] as number;
    for (let k = 0; k < nnz; k++) {
      const r = (idx[k] as number) + o;
      const xi = val[k] as number;
      s0 += xi * (p[r] as number);
      s1 += xi * (p[r + 1] as number);
      s2 += xi * (p[r + 2] as number);
      s3 += xi * (p[r + 3] as number);
      s4 += xi * (p[r + 4] as number);
      s5 += xi * (p[r + 5] as number);
      s6 += xi * (p[r + 6] as number);
      s7 += xi * (p[r + 7] as number);
    }
    y[o] = s0;
    y[o + 1] = s1;
    y[o + 2] = s2;
    y[o + 3] = s3;
    y[o + 4] = s4;
    y[o + 5] = s5;
    y[o + 6] = s6;
    y[o + 7] = s7;
  }
  for (; o + 1 < nOut; o += 2) {
    let s0 = p[b + o] as number;
    let s1 = p[b + o + 1] as number;
    for (let k = 0; k < nnz; k++) {
      const r = (idx[k] as number) + o;
      const xi = val[k] as number;
      s0 += xi * (p[r] as number);
      s1 += xi * (p[r + 1] as number);
    }
    y[o] = s0;
    y[o + 1] = s1;
  }
  for (; o < nOut; o++) {
    let s0 = p[b + o] as number;
    for (let k = 0; k < nnz; k++) s0 += (val[k] as number) * (p[(idx[k] as number) + o] as number);
    y[o] = s0;
  }
}

/** y[yOff + k] += a * x[xOff + k] for k < n, unrolled by 4 (about twice as fast in V8 as the plain loop). */
function axpy(y: Float64Array, yOff: number, a: number, x: Float64Array, xOff: number, n: number): void {
  let k = 0;
  for (; k + 3 < n; k += 4) {
    const j = yOff + k;
    const i = xOff + k;
    y[j] = (y[j] as number) + a * (x[i] as number);
    y[j + 1] = (y[j + 1] as number) + a * (x[i + 1] as number);
    y[j + 2] = (y[j + 2] as number) + a * (x[i + 2] as number);
    y[j + 3] = (y[j + 3] as number) + a * (x[i + 3] as number);
  }
  for (; k < n; k++) y[yOff + k] = (y[yOff + k] as number) + a * (x[xOff + k] as number);
}

/** Activation in place, float64. */
export function activate(act: Activation, y: Float64Array): void {
  const n = y.length;
  switch (act) {
    case 'linear':
      return;
    case 'relu':
      for (let o = 0; o < n; o++) if ((y[o] as number) < 0) y[o] = 0;
      return;
    case 'sigmoid':
      for (let o = 0; o < n; o++) y[o] = 1 / (1 + Math.exp(-(y[o] as number)));
      return;
    case 'tanh':
      for (let o = 0; o < n; o++) y[o] = Math.tanh(y[o] as number);
      return;
    case 'softmax': {
      let m = -Infinity;
      for (let o = 0; o < n; o++) if ((y[o] as number) > m) m = y[o] as number;
      let s = 0;
      for (let o = 0; o < n; o++) {
        const e = Math.exp((y[o] as number) - m);
        y[o] = e;
        s += e;
      }
      for (let o = 0; o < n; o++) y[o] = (y[o] as number) / s;
      return;
    }
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
