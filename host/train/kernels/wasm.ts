// The dense.wat kernels instantiated over their own WebAssembly memory, behind the same interface as the JS reference.
import { DENSE_WASM_BASE64 } from './dense-wasm.js';
import type { DenseKernels } from './reference.js';

interface DenseExports {
  dense_forward(x: number, w: number, b: number, y: number, rows: number, nIn: number, nOut: number, relu: number, idx: number, val: number): void;
  dense_grad(x: number, d: number, g: number, gb: number, rows: number, nIn: number, nOut: number, idx: number, val: number): void;
  dense_delta(d: number, w: number, wt: number, a: number, p: number, rows: number, nIn: number, nOut: number, act: number, idx: number, val: number): void;
  gather(src: number, rows: number, n: number, width: number, dst: number): void;
  softmax(y: number, rows: number, n: number): void;
  adam(p: number, g: number, m: number, v: number, mask: number, n: number, inv: number, l2: number, a: number, b1: number, c1: number, b2: number, c2: number, eps: number): void;
}

/** Largest memory the kernels take (their pointers are 32-bit byte offsets): beyond it a Network uses the JS kernels. */
export const WASM_MAX_BYTES = 2 ** 31;

let compiled: WebAssembly.Module | null | undefined;

/** The compiled module, or null when this runtime lacks WebAssembly SIMD (compiled once per process). */
function denseModule(): WebAssembly.Module | null {
  if (compiled === undefined) {
    try {
      compiled = new WebAssembly.Module(Buffer.from(DENSE_WASM_BASE64, 'base64'));
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

/** True when the wasm kernels can run here (Node 20 has SIMD). */
export function wasmKernelsAvailable(): boolean {
  return denseModule() !== null;
}

/**
 * The wasm kernels over a fresh memory of `elements` float64s plus scratch for `scratch` (offset, value) pairs, which
 * must be at least the widest layer and the rows per call. Null when wasm SIMD is missing or the memory too large.
 */
export function wasmKernels(elements: number, scratch: number): DenseKernels | null {
  const mod = denseModule();
  const heapBytes = elements * 8;
  const bytes = heapBytes + scratch * 16;
  if (mod === null || bytes > WASM_MAX_BYTES) return null;
  const memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil(bytes / 65536)) });
  const k = new WebAssembly.Instance(mod, { env: { memory } }).exports as unknown as DenseExports;
  const val = heapBytes; // float64 scratch values, 8-byte aligned
  const idx = heapBytes + scratch * 8; // int32 scratch offsets
  const rows = heapBytes + scratch * 12; // int32 row numbers for gather
  return {
    engine: 'wasm',
    heap: new Float64Array(memory.buffer, 0, elements),
    rowIndex: new Int32Array(memory.buffer, rows, scratch),
    gather: (src, n, width, dst) => k.gather(8 * src, rows, n, width, 8 * dst),
    forward: (x, w, b, y, rows, nIn, nOut, relu) => k.dense_forward(8 * x, 8 * w, 8 * b, 8 * y, rows, nIn, nOut, relu ? 1 : 0, idx, val),
    grad: (x, d, g, gb, rows, nIn, nOut) => k.dense_grad(8 * x, 8 * d, 8 * g, 8 * gb, rows, nIn, nOut, idx, val),
    delta: (d, w, wt, a, p, rows, nIn, nOut, act) => k.dense_delta(8 * d, 8 * w, 8 * wt, 8 * a, 8 * p, rows, nIn, nOut, act, idx, val),
    softmax: (y, rows, n) => k.softmax(8 * y, rows, n),
    adam: (p, g, m, v, mask, n, inv, l2, a, b1, c1, b2, c2, eps) => k.adam(8 * p, 8 * g, 8 * m, 8 * v, 8 * mask, n, inv, l2, a, b1, c1, b2, c2, eps),
  };
}
