// `deploy-nn example hinge|bits|digits`: run one of the three seed networks and print what its tutorial prints.
import type { Command } from 'commander';
import { UsageError } from '../../core/errors.js';
import type { DenseLayer } from '../../core/model.js';
import { EXAMPLES, runExample } from '../../train/examples.js';
import type { ExampleName, ExampleResult } from '../../train/examples.js';
import type { TrainProgress } from '../../train/fit.js';
import { formatConfusion, formatPerClass } from '../../train/metrics.js';
import { emit } from '../output.js';
import type { OutputOptions } from '../output.js';
import { action } from '../run.js';

export interface ExampleCommandOptions extends OutputOptions {
  readonly name: ExampleName;
  /** Seed; default: the preset's (1). */
  readonly seed?: number;
}

function formatLayers(layers: readonly DenseLayer[]): string {
  const out: string[] = [];
  layers.forEach((l, k) => {
    out.push(`  layer ${k + 1} (${l.inputs}->${l.outputs}, ${l.activation}):`);
    l.weights.forEach((row, o) => out.push(`    neuron ${o + 1}: w = [${row.map((w) => w.toFixed(4).padStart(8)).join(' ')}]  b = ${(l.biases[o] as number).toFixed(4)}`));
  });
  return out.join('\n');
}

function progressLine(name: ExampleName, p: TrainProgress): string {
  const acc = p.accuracy === undefined ? '' : `${(100 * p.accuracy).toFixed(name === 'bits' ? 4 : 1)}%`;
  if (name === 'hinge') return `iteration ${String(p.step).padStart(4)}: training accuracy ${acc}`;
  return `epoch ${String(p.epoch).padStart(6)}: loss ${p.loss.toExponential(3)}  ${name === 'bits' ? 'accuracy' : 'training accuracy'} ${acc}`;
}

export function formatExample(r: ExampleResult): string {
  const lines: string[] = [];
  const ev = r.result.evaluation;
  const steps = r.result.history.steps;
  if (r.name === 'hinge') {
    lines.push("Karpathy's 2-layer net (2-3-1, relu, linear score) with hinge loss on six points, SGD one point per iteration", '');
    lines.push(...r.progress.map((p) => progressLine(r.name, p)));
    lines.push('', `training accuracy ${(100 * r.score).toFixed(1)}% after ${steps} iterations (the original needed about 200-350) in ${(r.seconds * 1000).toFixed(0)} ms`);
    lines.push('', 'point              score    label');
    for (const c of r.cases) lines.push(`(${c.inputs.map((v) => v.toFixed(1).padStart(5)).join(',')})   ${c.output.toFixed(4).padStart(8)}   ${c.expected > 0 ? '+1' : '-1'}`);
  } else if (r.name === 'bits') {
    lines.push('3-4-1 sigmoid net on the eight 3-bit cases, target: 3-bit parity (odd number of 1s -> 1), MSE, Adam', '');
    lines.push('starting weights:', formatLayers(r.initialLayers), '');
    lines.push(...r.progress.map((p) => progressLine(r.name, p)));
    lines.push('', 'final weights:', formatLayers(r.result.model.layers), '');
    lines.push('case    output      expected  difference');
    for (const c of r.cases) {
      lines.push(`${c.inputs.join(' ')}   ${c.output.toFixed(6)}   ${c.expected}         ${c.difference >= 0 ? '+' : ''}${c.difference.toExponential(2)}`);
    }
    lines.push('', `accuracy 100 x (1 - mean |error|) = ${(100 * r.score).toFixed(4)}% (target ${(100 * r.target).toFixed(2)}%) after ${steps} steps in ${r.seconds.toFixed(3)} s`);
    lines.push('(the original tutorial: 1.19 million steps, 162 s)');
  } else {
    lines.push('handwritten digits, 64-32-10 (relu, softmax), cross-entropy, Adam, batch 32', '');
    lines.push(...r.progress.map((p) => progressLine(r.name, p)));
    lines.push('', `test accuracy (float32, ${ev.rows} test rows): ${(100 * (ev.accuracy ?? 0)).toFixed(2)}% in ${r.seconds.toFixed(2)} s`, '');
    lines.push(formatPerClass(ev), '', formatConfusion(ev, r.result.model.labels));
  }
  lines.push('', r.reached ? 'target reached' : `target NOT reached (${(100 * r.score).toFixed(2)}% < ${(100 * r.target).toFixed(2)}%)`);
  return lines.join('\n');
}

export function runExampleCommand(opts: ExampleCommandOptions): void {
  const r = runExample(opts.name, opts.seed === undefined ? {} : { seed: opts.seed });
  emit(
    opts,
    {
      example: r.name,
      reached: r.reached,
      score: r.score,
      target: r.target,
      seconds: r.seconds,
      epochs: r.result.history.epochs,
      steps: r.result.history.steps,
      progress: r.progress,
      ...(r.name === 'bits' ? { initialLayers: r.initialLayers, finalLayers: r.result.model.layers } : {}),
      cases: r.cases,
      evaluation: r.result.evaluation,
      hash: r.result.model.hash,
    },
    () => formatExample(r),
  );
}

export function registerExample(program: Command): void {
  program
    .command('example')
    .description('run a seed network: hinge (six 2-D points), bits (3-4-1 sigmoid), digits (64-32-10)')
    .argument('<name>', EXAMPLES.join(', '))
    .option('--seed <n>', 'random seed (default: the preset seed, 1)')
    .option('--json', 'print one JSON document on stdout', false)
    .action(
      action((name: string, raw: { seed?: string; json: boolean }) => {
        if (!(EXAMPLES as readonly string[]).includes(name)) throw new UsageError(`unknown example "${name}"`, `choose one of: ${EXAMPLES.join(', ')}`);
        let seed: number | undefined;
        if (raw.seed !== undefined) {
          seed = Number(raw.seed);
          if (!Number.isInteger(seed) || seed < 0) throw new UsageError(`--seed ${JSON.stringify(raw.seed)} is not a whole number >= 0`);
        }
        runExampleCommand({ name: name as ExampleName, json: raw.json, ...(seed === undefined ? {} : { seed }) });
      }),
    );
}
