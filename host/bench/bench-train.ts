// Training benchmark: digits 64-32-10, 200 epochs, Adam, batch 32: deploy-nn vs scikit-learn vs TensorFlow.js, same run.
// Usage: node dist/bench/bench-train.js [--seed N] [--repeat N] [--no-tfjs] [--tfjs-epochs N] [--js-twin]    (npm run bench:train)
//        --js-twin adds a row for the same training on the pure-JS twin of the wasm kernels (same model bytes).
//        node dist/bench/bench-train.js --accuracy    5 seeds, 75/25 stratified: digits and iris medians (npm run bench:accuracy)
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { createRequire, register } from 'node:module';
import path from 'node:path';
import { builtinDataset, datasetPath } from '../data/builtin.js';
import { splitDataset } from '../data/split.js';
import { applyNormalization, fitNormalization } from '../data/normalize.js';
import { defaultTrainOptions, trainModel } from '../train/fit.js';
import type { TrainOptions } from '../train/fit.js';
import { Rng } from '../train/rng.js';

const PYTHON = '/usr/bin/python3'; // Debian's python3 with python3-sklearn; the pyenv python3 first on PATH has no sklearn.

interface Row {
  readonly impl: string;
  /** Wall-clock seconds (the best of the repeats). */
  readonly seconds: number;
  /** CPU seconds of the process (user + system) for that run: less sensitive to other jobs on a shared machine. */
  readonly cpu: number;
  readonly accuracy: number;
  readonly epochs: number;
  readonly note?: string;
}

function cpuSeconds(since: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1e6;
}

const SKLEARN = String.raw`
import json, sys, time, warnings
import numpy as np
from sklearn.neural_network import MLPClassifier
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import MinMaxScaler, StandardScaler
warnings.filterwarnings('ignore')
cfg = json.loads(sys.argv[1])
out = []
for name in cfg['datasets']:
    d = np.genfromtxt(cfg['paths'][name], delimiter=',', skip_header=1, dtype=str)
    X = d[:, :-1].astype(float)
    y = d[:, -1]
    s = cfg['settings'][name]
    for seed in cfg['seeds']:
        Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, stratify=y, random_state=seed)
        sc = (MinMaxScaler if s['normalize'] == 'minmax' else StandardScaler)().fit(Xtr)
        for forced in ([True, False] if cfg['both'] else [True]):
            kw = dict(tol=0.0, n_iter_no_change=10**6) if forced else {}
            best = None
            for rep in range(cfg['repeat']):
                clf = MLPClassifier(hidden_layer_sizes=tuple(s['hidden']), activation='relu', solver='adam', batch_size=s['batch'],
                                    max_iter=s['epochs'], learning_rate_init=s['lr'], alpha=s['l2'], random_state=seed, **kw)
                t, c = time.perf_counter(), time.process_time()
                clf.fit(sc.transform(Xtr), ytr)
                dt, dc = time.perf_counter() - t, time.process_time() - c
                if best is None or dt < best[0]:
                    best = (dt, dc)
            out.append(dict(dataset=name, seed=seed, forced=forced, seconds=best[0], cpu=best[1], accuracy=clf.score(sc.transform(Xte), yte), epochs=clf.n_iter_))
print(json.dumps(out))
`;
import { argValue } from './args.js';

interface SkResult {
  dataset: string;
  seed: number;
  forced: boolean;
  seconds: number;
  cpu: number;
  accuracy: number;
  epochs: number;
}

function sklearnSettings(o: TrainOptions) {
  return { hidden: o.hidden, batch: o.batchSize, epochs: o.epochs, lr: o.learningRate, l2: o.l2, normalize: o.normalize };
}

/** scikit-learn's MLPClassifier with the same settings, or a reason it could not run. */
function runSklearn(datasets: string[], seeds: number[], both: boolean, repeat = 1): SkResult[] | string {
  if (!existsSync(PYTHON)) return `${PYTHON} not found`;
  const probe = spawnSync(PYTHON, ['-c', 'import sklearn; print(sklearn.__version__)'], { encoding: 'utf8' });
  if (probe.status !== 0) return 'scikit-learn not installed (apt-get install -y python3-sklearn)';
  const cfg = {
    datasets,
    seeds,
    both,
    repeat,
    paths: Object.fromEntries(datasets.map((d) => [d, datasetPath(`${d}.csv`)])),
    settings: Object.fromEntries(datasets.map((d) => [d, sklearnSettings(defaultTrainOptions({ name: d }))])),
  };
  const r = spawnSync(PYTHON, ['-c', SKLEARN, JSON.stringify(cfg)], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) return `scikit-learn failed: ${r.stderr.slice(-300)}`;
  process.stdout.write(`(scikit-learn ${probe.stdout.trim()}, ${PYTHON})\n`);
  return JSON.parse(r.stdout) as SkResult[];
}

/** TensorFlow.js (tfjs-core + cpu backend): the same network, Adam, batch 32, same split and normalization as ours. */
let resolveHookRegistered = false;

async function runTfjs(seed: number, epochs: number, backend: 'cpu' | 'wasm'): Promise<Row | string> {
  let tf: typeof import('@tensorflow/tfjs-core');
  const warn = console.warn;
  const log = console.log;
  try {
    console.warn = () => {}; // tfjs prints a banner recommending tfjs-node
    console.log = () => {};
    // tfjs-core's per-op gradient modules use extension-less ESM imports that Node refuses; add '.js' when missing.
    const hook = `export async function resolve(s, c, next) { try { return await next(s, c); } catch (e) { if (!/^\\.{1,2}\\//.test(s) || !/ERR_MODULE_NOT_FOUND|ERR_UNSUPPORTED_DIR_IMPORT/.test(e.code)) throw e; try { return await next(s + '.js', c); } catch { return next(s + '/index.js', c); } } }`;
    if (!resolveHookRegistered) register(`data:text/javascript,${encodeURIComponent(hook)}`);
    resolveHookRegistered = true;
    tf = await import('@tensorflow/tfjs-core');
    await import('@tensorflow/tfjs-core/dist/register_all_gradients.js');
    if (backend === 'cpu') await import('@tensorflow/tfjs-backend-cpu');
    else {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      const dist = path.join(path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm')), path.sep);
      wasm.setWasmPaths(dist);
      wasm.setThreadsCount?.(1);
    }
    if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} did not initialise`);
  } catch (err) {
    return `TensorFlow.js (${backend}) not available (${(err as Error).message.split('\n')[0]})`;
  } finally {
    console.warn = warn;
    console.log = log;
  }
  const ds = builtinDataset('digits');
  const o = defaultTrainOptions(ds);
  const rng = new Rng(seed);
  const split = splitDataset(ds, { testFraction: 0.25, validationFraction: 0 }, rng);
  const norm = fitNormalization(split.train.map((i) => ds.inputs[i]!), 64, o.normalize);
  const pack = (idx: number[]) => {
    const x = new Float64Array(idx.length * 64);
    idx.forEach((r, k) => applyNormalization(norm, ds.inputs[r]!, x, k * 64));
    return { x: Float32Array.from(x), y: idx.map((r) => ds.targets[r]!) };
  };
  const tr = pack(split.train);
  const te = pack(split.test);
  const h = o.hidden[0]!;
  const glorot = (a: number, b: number) => tf.randomUniform([a, b], -Math.sqrt(6 / (a + b)), Math.sqrt(6 / (a + b)), 'float32', seed);
  const w1 = tf.variable(glorot(64, h));
  const b1 = tf.variable(tf.zeros([h]));
  const w2 = tf.variable(glorot(h, 10));
  const b2 = tf.variable(tf.zeros([10]));
  const opt = tf.train.adam(o.learningRate);
  const n = split.train.length;
  const X = tf.tensor2d(tr.x, [n, 64]);
  const Y = tf.oneHot(tf.tensor1d(tr.y, 'int32'), 10);
  const predict = (x: import('@tensorflow/tfjs-core').Tensor2D) => tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x, w1), b1)), w2), b2);
  const order = Array.from({ length: n }, (_v, i) => i);
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  for (let e = 0; e < epochs; e++) {
    rng.shuffle(order);
    for (let s = 0; s < n; s += o.batchSize) {
      const idx = tf.tensor1d(order.slice(s, s + o.batchSize), 'int32');
      opt.minimize(() => {
        const xb = tf.gather(X, idx) as import('@tensorflow/tfjs-core').Tensor2D;
        const yb = tf.gather(Y, idx);
        const logits = predict(xb);
        const ce = tf.neg(tf.mean(tf.sum(tf.mul(yb, tf.logSoftmax(logits)), 1))) as import('@tensorflow/tfjs-core').Scalar;
        const l2 = tf.mul(o.l2 / 2, tf.add(tf.sum(tf.square(w1)), tf.sum(tf.square(w2))));
        return tf.add(ce, l2) as import('@tensorflow/tfjs-core').Scalar;
      });
      idx.dispose();
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(c0);
  const pred = tf.argMax(predict(tf.tensor2d(te.x, [te.y.length, 64])), 1).dataSync();
  const accuracy = te.y.filter((y, i) => pred[i] === y).length / te.y.length;
  tf.disposeVariables();
  return { impl: `TensorFlow.js ${tf.version_core} (${backend})`, seconds, cpu, accuracy, epochs };
}

function fmt(rows: Row[], base: Row): string {
  const lines = ['implementation                          epochs   wall (s)    CPU (s)   test accuracy   wall / deploy-nn'];
  for (const r of rows) {
    lines.push(
      `${r.impl.padEnd(40)}${String(r.epochs).padStart(6)}${r.seconds.toFixed(3).padStart(11)}${r.cpu.toFixed(3).padStart(11)}${`${(100 * r.accuracy).toFixed(2)}%`.padStart(16)}${`${(r.seconds / base.seconds).toFixed(2)}x`.padStart(19)}${r.note ? `  ${r.note}` : ''}`,
    );
  }
  return lines.join('\n');
}

async function speed(): Promise<void> {
  const seed = Number(argValue('--seed') ?? 1);
  const repeat = Number(argValue('--repeat') ?? 3);
  const ds = builtinDataset('digits');
  const o = defaultTrainOptions(ds);
  process.stdout.write(`digits 64-${o.hidden.join('-')}-10, relu + softmax, Adam lr ${o.learningRate}, batch ${o.batchSize}, ${o.epochs} epochs, ${o.normalize}, 75/25 stratified split, seed ${seed}\n`);
  process.stdout.write(`deploy-nn and scikit-learn: best of ${repeat} runs (wall clock), with the CPU seconds of that run; TensorFlow.js: one run\n`);
  const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
  process.stdout.write(`load average before: ${load()}\n`);
  const timeOurs = (engine: 'wasm' | 'js', impl: string): Row => {
    // Warm the JIT on a short run, then time the real ones.
    trainModel(ds, { ...o, epochs: 3, seed, engine });
    let best: Row | undefined;
    for (let k = 0; k < repeat; k++) {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      const r = trainModel(ds, { ...o, seed, engine });
      const row: Row = { impl, seconds: (performance.now() - t0) / 1000, cpu: cpuSeconds(c0), accuracy: r.evaluation.accuracy ?? 0, epochs: r.history.epochs };
      if (!best || row.seconds < best.seconds) best = row;
    }
    return best as Row;
  };
  const oursRow = timeOurs('wasm', 'deploy-nn (wasm SIMD f64x2 kernels)');
  const rows: Row[] = [oursRow];
  if (process.argv.includes('--js-twin')) rows.push(timeOurs('js', 'deploy-nn (JS twin of the kernels)'));
  const sk = runSklearn(['digits'], [seed], true, repeat);
  if (typeof sk === 'string') process.stdout.write(`scikit-learn skipped: ${sk}\n`);
  else {
    for (const r of sk) {
      rows.push({
        impl: `scikit-learn MLPClassifier${r.forced ? '' : ' (default tol)'}`,
        seconds: r.seconds,
        cpu: r.cpu,
        accuracy: r.accuracy,
        epochs: r.epochs,
        note: r.forced ? 'tol=0: all epochs, as deploy-nn' : 'stops when the loss stalls',
      });
    }
  }
  if (!process.argv.includes('--no-tfjs')) {
    const tfEpochs = Number(argValue('--tfjs-epochs') ?? o.epochs);
    for (const backend of ['wasm', 'cpu'] as const) {
      const tf = await runTfjs(seed, tfEpochs, backend);
      if (typeof tf === 'string') process.stdout.write(`TensorFlow.js skipped: ${tf}\n`);
      else rows.push(tf);
    }
  }
  process.stdout.write(`${fmt(rows, oursRow)}\n`);
  process.stdout.write(`load average after: ${load()}\n`);
  const skForced = rows.find((r) => r.impl === 'scikit-learn MLPClassifier');
  if (skForced) {
    process.stdout.write(
      `\nscikit-learn / deploy-nn, same ${o.epochs} epochs: ${(skForced.seconds / oursRow.seconds).toFixed(2)}x wall clock, ${(skForced.cpu / oursRow.cpu).toFixed(2)}x CPU time (target 2x); ` +
        `test accuracy ${(100 * oursRow.accuracy).toFixed(2)}% vs ${(100 * skForced.accuracy).toFixed(2)}%\n`,
    );
  }
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function accuracy(): Promise<void> {
  const seeds = [1, 2, 3, 4, 5];
  const targets: Record<string, number> = { digits: 0.975, iris: 0.95 };
  const sk = runSklearn(['digits', 'iris'], seeds, false);
  for (const name of ['digits', 'iris']) {
    const ds = builtinDataset(name);
    const o = defaultTrainOptions(ds);
    const accs = seeds.map((seed) => trainModel(ds, { ...o, seed }).evaluation.accuracy ?? 0);
    const sizes = [ds.inputNames.length, ...o.hidden, ds.classes.length].join('-');
    process.stdout.write(`${name} ${sizes} (${o.normalize}, Adam lr ${o.learningRate}, batch ${o.batchSize}, ${o.epochs} epochs), 75/25 stratified, seeds ${seeds.join(',')}\n`);
    process.stdout.write(`  deploy-nn:    ${accs.map((a) => (100 * a).toFixed(2)).join('  ')}   median ${(100 * median(accs)).toFixed(2)}% (target ${100 * targets[name]!}%) ${median(accs) >= targets[name]! ? 'ok' : 'BELOW TARGET'}\n`);
    if (typeof sk !== 'string') {
      const s = sk.filter((r) => r.dataset === name).map((r) => r.accuracy);
      process.stdout.write(`  scikit-learn: ${s.map((a) => (100 * a).toFixed(2)).join('  ')}   median ${(100 * median(s)).toFixed(2)}% (its own split per seed)\n`);
    }
  }
  if (typeof sk === 'string') process.stdout.write(`scikit-learn skipped: ${sk}\n`);
}

await (process.argv.includes('--accuracy') ? accuracy() : speed());
