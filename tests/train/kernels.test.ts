// The wasm SIMD kernels against their JS twin (bit for bit), the committed wasm against its .wat, and whole trainings per engine.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { builtinDataset } from '../../host/data/builtin.js';
import { parseCsv } from '../../host/data/csv.js';
import { serializeModel } from '../../host/model/model-file.js';
import { compileWat, MODULE_PATH, renderWasmModule, WAT_PATH } from '../../host/train/kernels/build-kernels.js';
import { jsKernels, kernelExp } from '../../host/train/kernels/reference.js';
import type { DenseKernels, DerivativeCode } from '../../host/train/kernels/reference.js';
import { wasmKernels, wasmKernelsAvailable } from '../../host/train/kernels/wasm.js';
import { BASE_TRAIN_OPTIONS, defaultTrainOptions, trainModel } from '../../host/train/fit.js';
import type { TrainOptions } from '../../host/train/fit.js';
import { Network } from '../../host/train/network.js';
import { createOptimizer } from '../../host/train/optimizers.js';
import { Rng } from '../../host/train/rng.js';

/** The same bits (so NaN, -0 and the last ulp all count), with the first difference in the message. */
function expectSameBits(a: Float64Array, b: Float64Array, what: string): void {
  expect(a.length).toBe(b.length);
  const ua = new BigUint64Array(a.buffer, a.byteOffset, a.length);
  const ub = new BigUint64Array(b.buffer, b.byteOffset, b.length);
  for (let j = 0; j < a.length; j++) {
    if (ua[j] !== ub[j]) expect.fail(`${what}: element ${j} differs: ${a[j]} vs ${b[j]}`);
  }
}

/** Random values with about `zeros` of them exactly 0 (sparse pixels, dead relus), some -0 and some tiny. */
function fill(rng: Rng, h: Float64Array, off: number, n: number, zeros: number): void {
  for (let j = 0; j < n; j++) {
    const u = rng.next();
    h[off + j] = u < zeros ? (u < zeros / 8 ? -0 : 0) : u < zeros + 0.02 ? rng.normal() * 1e-300 : rng.normal();
  }
}

describe('the committed wasm is dense.wat compiled', () => {
  it('dense-wasm.ts holds exactly what wabt makes of dense.wat today', async () => {
    const bytes = await compileWat(readFileSync(WAT_PATH, 'utf8'));
    expect(readFileSync(MODULE_PATH, 'utf8')).toBe(renderWasmModule(bytes));
  });

  it('Node has WebAssembly SIMD, so training runs the wasm kernels', () => {
    expect(wasmKernelsAvailable()).toBe(true);
    expect(new Network([3, 4, 1], ['sigmoid', 'sigmoid'], 'mse').kernels.engine).toBe('wasm');
    expect(new Network([3, 4, 1], ['sigmoid', 'sigmoid'], 'mse', { engine: 'js' }).kernels.engine).toBe('js');
  });
});

describe('wasm kernels = JS reference, bit for bit (float64, same operation order)', () => {
  // Widths that hit every path: blocks of 8, pairs, the odd scalar, and fewer outputs than one block.
  const widths = [1, 2, 3, 7, 8, 9, 10, 16, 17, 32, 33];
  const pair = (size: number): [DenseKernels, DenseKernels] => [jsKernels(size, 64), wasmKernels(size, 64) as DenseKernels];

  it('forward (with and without relu), grad (weights and bias), delta (every derivative), softmax', () => {
    const rng = new Rng(7);
    let cases = 0;
    for (const nIn of widths) {
      for (const nOut of widths) {
        const rows = 1 + rng.int(40);
        // Layout: x | w | b | y | d | g | gb | a | p | wt  (odd offsets on purpose: unaligned SIMD loads must agree too).
        const x = 1;
        const w = x + rows * nIn;
        const b = w + nIn * nOut;
        const y = b + nOut;
        const d = y + rows * nOut;
        const g = d + rows * nOut;
        const gb = g + nIn * nOut;
        const a = gb + nOut;
        const p = a + rows * nIn;
        const wt = p + rows * nIn;
        const size = wt + nIn * nOut;
        const [js, wasm] = pair(size);
        fill(rng, js.heap, 0, size, 0.4);
        js.heap.fill(0, wt);
        wasm.heap.set(js.heap);
        const relu = rng.next() < 0.5;
        const act = rng.int(4) as DerivativeCode;
        for (const k of [js, wasm]) {
          k.forward(x, w, b, y, rows, nIn, nOut, relu);
          k.grad(x, d, g, gb, rows, nIn, nOut);
          k.delta(d, w, wt, a, p, rows, nIn, nOut, act);
          k.softmax(y, rows, nOut);
        }
        // The JS twin needs no transposed copy: compare everything but that scratch.
        expectSameBits(wasm.heap.subarray(0, wt), js.heap.subarray(0, wt), `${nIn}x${nOut}, ${rows} rows, relu ${relu}, derivative ${act}`);
        cases++;
      }
    }
    expect(cases).toBe(widths.length ** 2);
  });

  it('the kernels compute what they say (checked against plain sums, 1e-12 relative)', () => {
    const rng = new Rng(3);
    const [rows, nIn, nOut] = [5, 6, 9];
    const [x, w, b, y, d, g, gb, p, wt] = [0, 30, 84, 93, 138, 183, 237, 246, 276];
    const k = wasmKernels(330, 64) as DenseKernels;
    const h = k.heap;
    fill(rng, h, 0, 276, 0.3);
    const before = Float64Array.from(h);
    k.forward(x, w, b, y, rows, nIn, nOut, false);
    k.grad(x, d, g, gb, rows, nIn, nOut);
    k.delta(d, w, wt, x, p, rows, nIn, nOut, 3);
    const close = (got: number, want: number) => expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-12 * (1 + Math.abs(want)));
    for (let r = 0; r < rows; r++) {
      for (let o = 0; o < nOut; o++) {
        let s = before[b + o]!;
        for (let i = 0; i < nIn; i++) s += before[x + r * nIn + i]! * before[w + i * nOut + o]!;
        close(h[y + r * nOut + o]!, s);
      }
      for (let i = 0; i < nIn; i++) {
        let s = 0;
        for (let o = 0; o < nOut; o++) s += before[d + r * nOut + o]! * before[w + i * nOut + o]!;
        const a = before[x + r * nIn + i]!;
        close(h[p + r * nIn + i]!, s * (1 - a * a));
      }
    }
    for (let i = 0; i < nIn; i++) {
      for (let o = 0; o < nOut; o++) {
        let s = before[g + i * nOut + o]!;
        for (let r = 0; r < rows; r++) s += before[x + r * nIn + i]! * before[d + r * nOut + o]!;
        close(h[g + i * nOut + o]!, s);
      }
    }
    for (let o = 0; o < nOut; o++) {
      let s = before[gb + o]!;
      for (let r = 0; r < rows; r++) s += before[d + r * nOut + o]!;
      close(h[gb + o]!, s);
    }
  });

  it('kernelExp is within 2 ulp of Math.exp on [-708, 709], and softmax rows sum to 1', () => {
    const rng = new Rng(9);
    let worst = 0;
    for (let j = 0; j < 200_000; j++) {
      const x = j < 100_000 ? -40 * rng.next() : -708 + 1417 * rng.next(); // softmax's range (x - max <= 0), then all
      const want = Math.exp(x);
      worst = Math.max(worst, Math.abs(kernelExp(x) - want) / (want * Number.EPSILON));
    }
    expect(worst).toBeLessThanOrEqual(2);
    expect([kernelExp(0), kernelExp(-708), kernelExp(-1e9), kernelExp(710)]).toEqual([1, 0, 0, Infinity]);
    expect(kernelExp(NaN)).toBeNaN();
    const k = wasmKernels(40, 8) as DenseKernels;
    for (let j = 0; j < 40; j++) k.heap[j] = 30 * rng.normal();
    k.softmax(0, 4, 10);
    for (let r = 0; r < 4; r++) expect(k.heap.subarray(10 * r, 10 * r + 10).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 14);
  });

  it('adam: wasm = JS twin = averaging and decay followed by createOptimizer("adam").step()', () => {
    const rng = new Rng(5);
    for (const n of [1, 2, 7, 64, 2410]) {
      const [p, g, m, v, mask] = [0, n, 2 * n, 3 * n, 4 * n];
      const [js, wasm] = pair(5 * n);
      fill(rng, js.heap, 0, 2 * n, 0.1);
      for (let j = 0; j < n; j++) js.heap[mask + j] = rng.next() < 0.8 ? 1 : 0;
      wasm.heap.set(js.heap);
      const params = js.heap.slice(p, p + n);
      const opt = createOptimizer('adam', n, 0.003);
      for (let t = 1; t <= 3; t++) {
        const grad = js.heap.slice(g, g + n);
        const a = (0.003 * Math.sqrt(1 - 0.999 ** t)) / (1 - 0.9 ** t);
        for (const k of [js, wasm]) k.adam(p, g, m, v, mask, n, 1 / 32, 1e-4, a, 0.9, 1 - 0.9, 0.999, 1 - 0.999, 1e-8);
        for (let j = 0; j < n; j++) grad[j] = grad[j]! * (1 / 32) + 1e-4 * params[j]! * js.heap[mask + j]!;
        opt.step(params, grad);
        expectSameBits(wasm.heap, js.heap, `adam n=${n} step ${t}`);
        expectSameBits(js.heap.subarray(p, p + n), params, `adam vs optimizers.ts n=${n} step ${t}`);
      }
    }
  });
});

describe('whole trainings: the wasm and js engines give the same model.json bytes', () => {
  const digits = builtinDataset('digits');
  const iris = builtinDataset('iris');
  const runs: [string, typeof digits, Partial<TrainOptions>][] = [
    ['digits 64-32-10 relu, Adam, batch 32', digits, { epochs: 4 }],
    ['digits 64-17-9-10 tanh, momentum, batch 100 (two chunks per batch)', digits, { hidden: [17, 9], activation: 'tanh', optimizer: 'momentum', learningRate: 0.05, batchSize: 100, epochs: 3 }],
    ['iris 4-8-3 sigmoid, SGD, full batch, early stopping', iris, { activation: 'sigmoid', optimizer: 'sgd', batchSize: 1000, epochs: 40, patience: 3 }],
    ['iris 4-5-3 linear hidden, hinge', iris, { hidden: [5], activation: 'linear', loss: 'hinge', epochs: 20 }],
  ];
  for (const [what, ds, o] of runs) {
    it(what, () => {
      const opts = { ...defaultTrainOptions(ds), ...o };
      const a = serializeModel(trainModel(ds, { ...opts, engine: 'wasm' }).model);
      const b = serializeModel(trainModel(ds, { ...opts, engine: 'js' }).model);
      expect(a).toBe(b);
    });
  }

  it('the three seed examples: hinge, bits (3-4-1 sigmoid, mse) and regression', () => {
    for (const name of ['hinge6', 'demo']) {
      const ds = builtinDataset(name);
      const opts = { ...defaultTrainOptions(ds), epochs: name === 'demo' ? 2000 : 200 };
      expect(serializeModel(trainModel(ds, { ...opts, engine: 'wasm' }).model), name).toBe(serializeModel(trainModel(ds, { ...opts, engine: 'js' }).model));
    }
    const csv = ['x1,x2,y', ...Array.from({ length: 60 }, (_v, i) => `${i % 9},${i % 7},${(2 * (i % 9) - (i % 7) + 0.5).toFixed(2)}`)].join('\n');
    const lin = parseCsv(csv, { name: 'lin' });
    const opts = { ...BASE_TRAIN_OPTIONS, hidden: [3], activation: 'tanh' as const, epochs: 50 };
    expect(serializeModel(trainModel(lin, { ...opts, engine: 'wasm' }).model)).toBe(serializeModel(trainModel(lin, { ...opts, engine: 'js' }).model));
  });

  it('accumulateBatch: rows gathered from the heap (resident data) = rows copied in from outside, chunked or not', () => {
    const rng = new Rng(4);
    const [nIn, rows] = [12, 90];
    const x = new Float64Array(rows * nIn);
    fill(rng, x, 0, x.length, 0.5);
    const data = { x, t: Float64Array.from({ length: rows }, () => rng.int(3)) };
    const order = rng.shuffle(new Uint32Array(rows).map((_v, i) => i));
    const grads = [
      { data: x, chunkRows: 64 },
      { data: undefined, chunkRows: 64 },
      { data: x, chunkRows: 7 },
    ].map((o) => {
      const net = new Network([nIn, 9, 3], ['relu', 'softmax'], 'cross-entropy', o);
      net.initialize(new Rng(1), 'auto');
      const loss = net.accumulateBatch(data, order, 5, 85, 'classification');
      return { loss, grad: Float64Array.from(net.grad) };
    });
    expect(grads[1]!.loss).toBe(grads[0]!.loss);
    expectSameBits(grads[1]!.grad, grads[0]!.grad, 'outside vs resident');
    // Chunks of 7 rows: the same per-element sums in the same row order, so the same bits again.
    expectSameBits(grads[2]!.grad, grads[0]!.grad, 'chunks of 7 vs one chunk');
  });

  it('an unknown engine is refused by name', () => {
    expect(() => trainModel(iris, { ...defaultTrainOptions(iris), engine: 'gpu' as never })).toThrow('unknown engine "gpu"; allowed: wasm, js');
  });
});
