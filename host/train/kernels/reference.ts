// The trainer's mini-batch kernels in plain JavaScript: the reference twin of dense.wat, same float64 operations in the same order.

/** Which implementation of the kernels a Network runs: WebAssembly SIMD (f64x2) or this file's plain loops. */
export const KERNEL_ENGINES = ['wasm', 'js'] as const;
export type KernelEngine = (typeof KERNEL_ENGINES)[number];

/** A hidden activation as the delta kernel knows it: its derivative from its output a. */
export const DERIVATIVE_CODES = { linear: 0, relu: 1, sigmoid: 2, tanh: 3 } as const;
/** 0: 1 (linear, and softmax, whose derivative the loss carries), 1: a > 0 ? 1 : 0, 2: a * (1 - a), 3: 1 - a * a. */
export type DerivativeCode = 0 | 1 | 2 | 3;

/**
 * The four kernels a training step needs. Every pointer is an element offset into `heap` (float64); matrices are
 * row-major, W input-major (W[i * nOut + o]). The two engines give bit-identical results: each output is one
 * sequential sum whose order is fixed below, every product is rounded before it is added (no fused multiply-add).
 */
export interface DenseKernels {
  readonly engine: KernelEngine;
  /** All buffers live here (for wasm: a view of the module's memory). */
  readonly heap: Float64Array;
  /** Row numbers for gather() (at least as many as the rows per call). */
  readonly rowIndex: Int32Array;
  /** Row r of dst = row rowIndex[r] of src, for r < n; rows are `width` float64s. */
  gather(src: number, n: number, width: number, dst: number): void;
  /** Y[r][o] = b[o] + X[r][i] * W[i][o] summed over i in order, skipping X[r][i] == 0; then relu (y < 0 ? 0 : y) if asked. */
  forward(x: number, w: number, b: number, y: number, rows: number, nIn: number, nOut: number, relu: boolean): void;
  /**
   * G[i][o] = G[i][o] + X[r][i] * D[r][o] added one r at a time, in order, skipping X[r][i] == 0;
   * then GB[o] = GB[o] + D[r][o], one r at a time.
   */
  grad(x: number, d: number, g: number, gb: number, rows: number, nIn: number, nOut: number): void;
  /**
   * P[r][i] = dz == 0 ? 0 : s * dz, where s = 0 + D[r][o] * W[i][o] summed over o in order, skipping D[r][o] == 0, and
   * dz is the derivative `act` at A[r][i] (the previous layer's output). `wt` is scratch for W transposed (nIn x nOut).
   */
  delta(d: number, w: number, wt: number, a: number, p: number, rows: number, nIn: number, nOut: number, act: DerivativeCode): void;
  /** Softmax of each of `rows` rows of n values at y, in place, with kernelExp (see dense.wat's softmax). */
  softmax(y: number, rows: number, n: number): void;
  /** Averaged, L2-decayed gradient and one Adam step: see dense.wat for the exact expression. */
  adam(p: number, g: number, m: number, v: number, mask: number, n: number, inv: number, l2: number, a: number, b1: number, c1: number, b2: number, c2: number, eps: number): void;
}

/** 2^k for k in [-1022, 1023], built from the bits (as dense.wat's $exp does). */
const POW2 = (() => {
  const t = new Float64Array(2046);
  const bits = new BigUint64Array(t.buffer);
  for (let k = -1022; k <= 1023; k++) bits[k + 1022] = BigInt(k + 1023) << 52n;
  return t;
})();

/**
 * e^x as dense.wat computes it: x = k ln2 + r (Cody-Waite), e^r by its Taylor series to r^12 (Horner), times 2^k.
 * Within about 2 ulp of Math.exp; 0 for x <= -708, Infinity above 709, NaN for NaN.
 */
export function kernelExp(x: number): number {
  if (x <= -708) return 0;
  if (x > 709) return Infinity;
  const k = Math.floor(x * 1.4426950408889634 + 0.5);
  const r = x - k * 6.93147180369123816490e-1 - k * 1.90821492927058770002e-10;
  let p = 2.087675698786810e-9;
  p = p * r + 2.505210838544172e-8;
  p = p * r + 2.7557319223985888e-7;
  p = p * r + 2.7557319223985893e-6;
  p = p * r + 2.4801587301587302e-5;
  p = p * r + 1.9841269841269841e-4;
  p = p * r + 1.3888888888888889e-3;
  p = p * r + 8.3333333333333332e-3;
  p = p * r + 4.1666666666666664e-2;
  p = p * r + 1.6666666666666666e-1;
  p = p * r + 0.5;
  p = p * r + 1;
  p = p * r + 1;
  return p * (POW2[(k | 0) + 1022] as number);
}

/** The reference kernels over a plain Float64Array of `elements` float64s, with `rows` row numbers for gather(). */
export function jsKernels(elements: number, rows: number): DenseKernels {
  const h = new Float64Array(elements);
  const rowIndex = new Int32Array(rows);
  return {
    engine: 'js',
    heap: h,
    rowIndex,
    gather(src, n, width, dst) {
      for (let r = 0; r < n; r++) {
        const s = src + (rowIndex[r] as number) * width;
        const d = dst + r * width;
        for (let i = 0; i < width; i++) h[d + i] = h[s + i] as number;
      }
    },
    forward(x, w, b, y, rows, nIn, nOut, relu) {
      for (let r = 0; r < rows; r++) {
        const xr = x + r * nIn;
        const yr = y + r * nOut;
        for (let o = 0; o < nOut; o++) h[yr + o] = h[b + o] as number;
        for (let i = 0; i < nIn; i++) {
          const xv = h[xr + i] as number;
          if (xv === 0) continue;
          const wr = w + i * nOut;
          for (let o = 0; o < nOut; o++) h[yr + o] = (h[yr + o] as number) + xv * (h[wr + o] as number);
        }
        if (relu) for (let o = 0; o < nOut; o++) if ((h[yr + o] as number) < 0) h[yr + o] = 0;
      }
    },
    grad(x, d, g, gb, rows, nIn, nOut) {
      for (let r = 0; r < rows; r++) {
        const dr = d + r * nOut;
        for (let i = 0; i < nIn; i++) {
          const xv = h[x + r * nIn + i] as number;
          if (xv === 0) continue;
          const gr = g + i * nOut;
          for (let o = 0; o < nOut; o++) h[gr + o] = (h[gr + o] as number) + xv * (h[dr + o] as number);
        }
        for (let o = 0; o < nOut; o++) h[gb + o] = (h[gb + o] as number) + (h[dr + o] as number);
      }
    },
    delta(d, w, _wt, a, p, rows, nIn, nOut, act) {
      for (let r = 0; r < rows; r++) {
        const dr = d + r * nOut;
        for (let i = 0; i < nIn; i++) {
          const av = h[a + r * nIn + i] as number;
          const dz = act === 1 ? (av > 0 ? 1 : 0) : act === 2 ? av * (1 - av) : act === 3 ? 1 - av * av : 1;
          const wr = w + i * nOut;
          let s = 0;
          for (let o = 0; o < nOut; o++) {
            const dv = h[dr + o] as number;
            if (dv !== 0) s += dv * (h[wr + o] as number);
          }
          h[p + r * nIn + i] = dz === 0 ? 0 : s * dz;
        }
      }
    },
    softmax(y, rows, n) {
      for (let row = y; row < y + rows * n; row += n) {
        let m = -Infinity;
        for (let o = row; o < row + n; o++) if ((h[o] as number) > m) m = h[o] as number;
        let s = 0;
        for (let o = row; o < row + n; o++) {
          const e = kernelExp((h[o] as number) - m);
          h[o] = e;
          s += e;
        }
        for (let o = row; o < row + n; o++) h[o] = (h[o] as number) / s;
      }
    },
    adam(p, g, m, v, mask, n, inv, l2, a, b1, c1, b2, c2, eps) {
      for (let j = 0; j < n; j++) {
        const pj = h[p + j] as number;
        const gj = (h[g + j] as number) * inv + l2 * pj * (h[mask + j] as number);
        const mj = b1 * (h[m + j] as number) + c1 * gj;
        const vj = b2 * (h[v + j] as number) + c2 * gj * gj;
        h[m + j] = mj;
        h[v + j] = vj;
        h[p + j] = pj - (a * mj) / (Math.sqrt(vj) + eps);
      }
    },
  };
}
