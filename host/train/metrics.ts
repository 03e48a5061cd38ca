// Evaluation with the float32 twin forward pass (what the board computes): accuracy, per-class precision/recall, confusion, MSE.
import type { ModelFile, Task } from '../core/model.js';
import { argmax, forward } from '../model/forward.js';

export interface ClassMetrics {
  readonly label: string;
  /** Of the rows predicted as this class, the fraction that are (NaN-free: 0 when nothing was predicted). */
  readonly precision: number;
  /** Of the rows of this class, the fraction predicted as it. */
  readonly recall: number;
  /** Rows of this class. */
  readonly support: number;
}

export interface EvaluationReport {
  /** Which rows were evaluated: the held-out test rows, or the training rows when there is no test part. */
  readonly split: 'test' | 'train';
  readonly rows: number;
  readonly task: Task;
  /** classification/binary: fraction of rows predicted right (0..1). */
  readonly accuracy?: number;
  readonly perClass?: readonly ClassMetrics[];
  /** confusion[actual][predicted], in label order. */
  readonly confusion?: readonly (readonly number[])[];
  /** Mean over rows and outputs of (output - target)^2: regression, and binary outputs against their target values. */
  readonly mse?: number;
  /** Mean |output - target|; for a sigmoid binary output, 100 * (1 - this) is the "accuracy" of the 3-4-1 tutorial. */
  readonly meanAbsError?: number;
}

type EvalModel = Pick<ModelFile, 'layers' | 'normalization' | 'task' | 'labels' | 'threshold'>;

/**
 * Evaluate a model on raw rows. `targets`: class ids (classification/binary) or values (regression).
 * For binary models the target values behind meanAbsError/mse are 0/1 for a sigmoid output, -1/+1 otherwise.
 */
export function evaluateModel(model: EvalModel, inputs: readonly (readonly number[])[], targets: readonly number[], split: 'test' | 'train'): EvaluationReport {
  const rows = inputs.length;
  if (model.task === 'regression') {
    let se = 0;
    let ae = 0;
    let n = 0;
    inputs.forEach((x, r) => {
      const out = forward(model, x);
      for (const y of out) {
        const e = y - (targets[r] as number);
        se += e * e;
        ae += Math.abs(e);
        n++;
      }
    });
    return { split, rows, task: 'regression', mse: n ? se / n : 0, meanAbsError: n ? ae / n : 0 };
  }
  const k = model.labels.length;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  const outAct = model.layers[model.layers.length - 1]?.activation;
  const lo = outAct === 'sigmoid' ? 0 : -1;
  let se = 0;
  let ae = 0;
  inputs.forEach((x, r) => {
    const out = forward(model, x);
    const t = targets[r] as number;
    const pred = model.task === 'binary' ? ((out[0] as number) > model.threshold ? 1 : 0) : argmax(out);
    (confusion[t] as number[])[pred]! += 1;
    if (model.task === 'binary') {
      const e = (out[0] as number) - (t === 1 ? 1 : lo);
      se += e * e;
      ae += Math.abs(e);
    }
  });
  let right = 0;
  for (let c = 0; c < k; c++) right += (confusion[c] as number[])[c] as number;
  const perClass = model.labels.map((label, c) => {
    const support = (confusion[c] as number[]).reduce((a, b) => a + b, 0);
    let predicted = 0;
    for (let a = 0; a < k; a++) predicted += (confusion[a] as number[])[c] as number;
    const tp = (confusion[c] as number[])[c] as number;
    return { label, precision: predicted ? tp / predicted : 0, recall: support ? tp / support : 0, support };
  });
  const base = { split, rows, task: model.task, accuracy: rows ? right / rows : 0, perClass, confusion };
  return model.task === 'binary' ? { ...base, mse: rows ? se / rows : 0, meanAbsError: rows ? ae / rows : 0 } : base;
}

/** The confusion matrix as a text table (rows: actual, columns: predicted). */
export function formatConfusion(report: EvaluationReport, labels: readonly string[]): string {
  if (!report.confusion) return '';
  const w = Math.max(6, ...labels.map((l) => l.length), ...report.confusion.flat().map((v) => String(v).length)) + 1;
  const pad = (s: string) => s.padStart(w);
  const lines = [`${'actual \\ predicted'.padEnd(Math.max(18, w))}${labels.map(pad).join('')}`];
  report.confusion.forEach((row, a) => lines.push(`${(labels[a] ?? '').padEnd(Math.max(18, w))}${row.map((v) => pad(String(v))).join('')}`));
  return lines.join('\n');
}

/** Per-class precision and recall as a text table. */
export function formatPerClass(report: EvaluationReport): string {
  if (!report.perClass) return '';
  const w = Math.max(8, ...report.perClass.map((c) => c.label.length)) + 1;
  const lines = [`${'class'.padEnd(w)} precision  recall  support`];
  for (const c of report.perClass) {
    lines.push(`${c.label.padEnd(w)} ${(100 * c.precision).toFixed(1).padStart(8)}% ${(100 * c.recall).toFixed(1).padStart(6)}% ${String(c.support).padStart(8)}`);
  }
  return lines.join('\n');
}
