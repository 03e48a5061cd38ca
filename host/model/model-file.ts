// model.json: build (with hash), serialise deterministically, and parse with errors that name the field.
import { ACTIVATIONS, MODEL_FORMAT, MODEL_VERSION } from '../core/model.js';
import type { Activation, DenseLayer, ModelFile, Normalization, Task, UnhashedModel } from '../core/model.js';
import { ModelValidationError } from '../core/errors.js';
import { isExactF32 } from '../core/f32.js';
import { modelHash } from './hash.js';

const TASKS: readonly Task[] = ['classification', 'binary', 'regression'];
const NORMALIZATIONS: readonly Normalization['method'][] = ['none', 'zscore', 'minmax'];

/** Round every number to float32, check the model, and attach its hash. */
export function finalizeModel(model: UnhashedModel): ModelFile {
  // -0 becomes +0: JSON writes -0 as 0, so a -0 weight would change the hash on the way through model.json.
  const f = (x: number): number => Math.fround(x) + 0;
  const rounded: UnhashedModel = {
    ...model,
    threshold: f(model.threshold),
    normalization: {
      method: model.normalization.method,
      offset: model.normalization.offset.map(f),
      scale: model.normalization.scale.map(f),
    },
    layers: model.layers.map((l) => ({
      ...l,
      weights: l.weights.map((row) => row.map(f)),
      biases: l.biases.map(f),
    })),
  };
  const withHash: ModelFile = { ...rounded, hash: modelHash(rounded) };
  validateModel(withHash);
  return withHash;
}

/** Deterministic text: same model, same bytes. One weight row per line keeps diffs readable. */
export function serializeModel(model: ModelFile): string {
  const json = JSON.stringify(model, null, 2);
  // Collapse arrays of numbers onto one line each.
  return json.replace(/\[\s+(-?[\d.e+-]+(?:,\s+-?[\d.e+-]+)*)\s+\]/g, (_m, body: string) => `[${body.split(/,\s+/).join(', ')}]`) + '\n';
}

/** Parse and validate model.json text. Every error names the JSON path of the bad field. */
export function parseModel(text: string, source = 'model.json'): ModelFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ModelValidationError('(file)', `${source} is not valid JSON (${(err as Error).message}); was it truncated?`);
  }
  validateModel(raw);
  return raw;
}

function fail(field: string, message: string): never {
  throw new ModelValidationError(field, message);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkStringArray(v: unknown, field: string, length?: number): readonly string[] {
  if (!Array.isArray(v)) fail(field, `expected an array of strings, got ${describe(v)}`);
  if (length !== undefined && v.length !== length) fail(field, `expected ${length} entries, got ${v.length}`);
  v.forEach((s, i) => {
    if (typeof s !== 'string') fail(`${field}[${i}]`, `expected a string, got ${describe(s)}`);
  });
  return v as string[];
}

function checkF32Array(v: unknown, field: string, length: number): void {
  if (!Array.isArray(v)) fail(field, `expected an array of ${length} numbers, got ${describe(v)}`);
  if (v.length !== length) fail(field, `expected ${length} numbers, got ${v.length}`);
  v.forEach((x, i) => checkF32(x, `${field}[${i}]`));
}

function checkF32(x: unknown, field: string): void {
  if (typeof x !== 'number') fail(field, `expected a number, got ${describe(x)}`);
  if (!Number.isFinite(x)) fail(field, `${x} is not allowed: weights must be finite float32 values`);
  if (!isExactF32(x)) fail(field, `${x} is not an exact float32 value (the model was edited by hand?)`);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  return typeof v === 'number' ? String(v) : typeof v;
}

function checkPositiveInt(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) fail(field, `expected a whole number >= 1, got ${describe(v)}`);
  return v;
}

/** Throws ModelValidationError naming the first bad field; narrows `m` to ModelFile. */
export function validateModel(m: unknown): asserts m is ModelFile {
  if (!isObject(m)) fail('(root)', `expected an object, got ${describe(m)}`);
  if (m.format !== MODEL_FORMAT) fail('format', `expected "${MODEL_FORMAT}", got ${describe(m.format)}`);
  if (m.version !== MODEL_VERSION) fail('version', `unknown version ${describe(m.version)}; this deploy-nn reads version ${MODEL_VERSION}`);
  if (typeof m.name !== 'string' || m.name.length === 0) fail('name', `expected a non-empty string, got ${describe(m.name)}`);
  if (!TASKS.includes(m.task as Task)) fail('task', `unknown task ${describe(m.task)}; allowed: ${TASKS.join(', ')}`);
  const task = m.task as Task;

  if (!Array.isArray(m.layers) || m.layers.length === 0) fail('layers', `expected at least one layer, got ${describe(m.layers)}`);
  const layers = m.layers as unknown[];
  let width = -1;
  layers.forEach((l, k) => {
    const p = `layers[${k}]`;
    if (!isObject(l)) fail(p, `expected an object, got ${describe(l)}`);
    const inputs = checkPositiveInt(l.inputs, `${p}.inputs`);
    const outputs = checkPositiveInt(l.outputs, `${p}.outputs`);
    if (width !== -1 && inputs !== width) fail(`${p}.inputs`, `is ${inputs} but the previous layer has ${width} outputs`);
    width = outputs;
    if (!ACTIVATIONS.includes(l.activation as Activation)) {
      fail(`${p}.activation`, `unknown activation ${describe(l.activation)}; allowed: ${ACTIVATIONS.join(', ')}`);
    }
    if (l.activation === 'softmax' && k !== layers.length - 1) fail(`${p}.activation`, 'softmax is only allowed on the output layer');
    if (!Array.isArray(l.weights)) fail(`${p}.weights`, `expected ${outputs} rows, got ${describe(l.weights)}`);
    if (l.weights.length !== outputs) fail(`${p}.weights`, `expected ${outputs} rows (one per output), got ${l.weights.length}`);
    l.weights.forEach((row: unknown, o: number) => checkF32Array(row, `${p}.weights[${o}]`, inputs));
    checkF32Array(l.biases, `${p}.biases`, outputs);
  });
  const typedLayers = layers as DenseLayer[];
  const nIn = typedLayers[0]!.inputs;
  const nOut = typedLayers[typedLayers.length - 1]!.outputs;

  checkStringArray(m.inputNames, 'inputNames', nIn);
  checkStringArray(m.outputNames, 'outputNames', nOut);
  const labels = checkStringArray(m.labels, 'labels');
  if (task === 'classification' && labels.length !== nOut) fail('labels', `a classifier needs one label per output (${nOut}), got ${labels.length}`);
  if (task === 'binary' && (labels.length !== 2 || nOut !== 1)) fail('labels', `a binary model has 1 output and 2 labels, got ${nOut} and ${labels.length}`);
  if (task === 'regression' && labels.length !== 0) fail('labels', `a regression model has no labels, got ${labels.length}`);
  checkF32(m.threshold, 'threshold');

  const norm = m.normalization;
  if (!isObject(norm)) fail('normalization', `expected an object, got ${describe(norm)}`);
  if (!NORMALIZATIONS.includes(norm.method as Normalization['method'])) {
    fail('normalization.method', `unknown method ${describe(norm.method)}; allowed: ${NORMALIZATIONS.join(', ')}`);
  }
  checkF32Array(norm.offset, 'normalization.offset', nIn);
  checkF32Array(norm.scale, 'normalization.scale', nIn);

  if (!isObject(m.training)) fail('training', `expected an object, got ${describe(m.training)}`);
  if (!isObject(m.metrics)) fail('metrics', `expected an object, got ${describe(m.metrics)}`);
  if (typeof m.hash !== 'string' || !/^[0-9a-f]{16}$/.test(m.hash)) fail('hash', `expected 16 lowercase hex digits, got ${describe(m.hash)}`);
  const { hash, ...rest } = m as unknown as ModelFile;
  const expected = modelHash(rest);
  if (hash !== expected) fail('hash', `is ${hash} but the weights hash to ${expected}: the file was changed after training`);
}
