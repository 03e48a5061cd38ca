// Cycles per inference of the digits model on the virtual Uno, against the floor: multiply-adds x (float mul + float add),
// both measured with Timer1 on the same emulated board in the same run; a model with no zero inputs; the activations
// against avr-libc's expf; the same sketch with the portable C multiply-accumulate (cycles and flash).
import { cpSync, mkdtempSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildSketch } from '../build/build.js';
import { floatLiteral } from '../codegen/literals.js';
import { generateSketch } from '../codegen/generate.js';
import { getBoard } from '../core/boards.js';
import type { BoardProfile } from '../core/boards.js';
import type { ModelFile } from '../core/model.js';
import { encodeRequest, parseBoardLine } from '../bridge/protocol.js';
import { builtinDataset } from '../data/builtin.js';
import { forward } from '../model/forward.js';
import { finalizeModel } from '../model/model-file.js';
import { buildArithFirmware } from './arith-firmware.js';
import { ArithBoard, cyclesPerOp, generator } from './arith-fuzz.js';
import { createAvrRunner } from '../sim/avr-runner.js';
import type { AvrRunner } from '../sim/avr-runner.js';
import { runExample } from '../train/examples.js';

const ROWS = 40;
const f = Math.fround;

/** Collect the board's lines as they come. */
function lineReader(runner: AvrRunner): { lines: string[] } {
  const state = { lines: [] as string[], partial: '' };
  runner.onTx((bytes) => {
    state.partial += Buffer.from(bytes).toString('latin1');
    const parts = state.partial.split('\n');
    state.partial = parts.pop() ?? '';
    state.lines.push(...parts);
  });
  return state;
}

function waitLine(runner: AvrRunner, reader: { lines: string[] }, match: RegExp, what: string): string {
  let found: string | undefined;
  const ok = runner.runUntil(() => {
    const i = reader.lines.findIndex((l) => match.test(l));
    if (i >= 0) found = reader.lines.splice(0, i + 1).pop();
    return found !== undefined;
  }, 200e6);
  if (!ok || found === undefined) throw new Error(`no ${what} from the virtual board`);
  return found;
}

/**
 * A sketch that times avr-libc's float multiply and add on the operands the model really sees (layer-1 weights times
 * normalized pixels, and the running sums), one operation between two Timer1 reads, minus the cost of the reads alone.
 */
function floorSketch(pairs: { w: number; x: number; acc: number }[]): string {
  const list = (xs: number[]): string => xs.map((v) => floatLiteral(v)).join(', ');
  return `// Measures one float multiply and one float add (avr-libc) in CPU cycles with Timer1 at prescaler 1.
#define N ${pairs.length}
static const float W[N] = { ${list(pairs.map((p) => p.w))} };
static const float X[N] = { ${list(pairs.map((p) => p.x))} };
static const float ACC[N] = { ${list(pairs.map((p) => p.acc))} };
volatile float sink;

static uint16_t timeMul(float a, float b) {
  asm volatile("" : "+r"(a), "+r"(b));
  uint16_t t0 = TCNT1;
  float r = a * b;
  asm volatile("" : "+r"(r));
  uint16_t t1 = TCNT1;
  sink = r;
  return t1 - t0;
}

static uint16_t timeAdd(float a, float b) {
  asm volatile("" : "+r"(a), "+r"(b));
  uint16_t t0 = TCNT1;
  float r = a + b;
  asm volatile("" : "+r"(r));
  uint16_t t1 = TCNT1;
  sink = r;
  return t1 - t0;
}

static uint16_t timeNothing(float a) {
  asm volatile("" : "+r"(a));
  uint16_t t0 = TCNT1;
  asm volatile("" : "+r"(a));
  uint16_t t1 = TCNT1;
  sink = a;
  return t1 - t0;
}

void setup() {
  Serial.begin(115200);
  TCCR1A = 0;
  TCCR1B = _BV(CS10);
  TIMSK1 = 0;
  uint32_t mul = 0, add = 0, none = 0;
  noInterrupts();
  for (uint8_t i = 0; i < N; i++) {
    mul += timeMul(W[i], X[i]);
    add += timeAdd(ACC[i], W[i] * X[i]);
    none += timeNothing(W[i]);
  }
  interrupts();
  Serial.print(F("floor mul "));
  Serial.print(mul);
  Serial.print(F(" add "));
  Serial.print(add);
  Serial.print(F(" none "));
  Serial.print(none);
  Serial.print(F(" n "));
  Serial.println(N);
}

void loop() {}
`;
}

/** Operand pairs from one real row: (weight, normalized input, running sum) for the first neurons of layer 1. */
function realOperands(model: ModelFile, row: readonly number[]): { w: number; x: number; acc: number }[] {
  const { offset, scale } = model.normalization;
  const x = row.map((v, i) => f(f(f(v) - offset[i]!) * scale[i]!));
  const layer = model.layers[0]!;
  const pairs: { w: number; x: number; acc: number }[] = [];
  for (let o = 0; o < layer.outputs && pairs.length < 64; o++) {
    let acc = layer.biases[o]!;
    for (let i = 0; i < layer.inputs && pairs.length < 64; i++) {
      if (x[i] === 0) continue;
      pairs.push({ w: layer.weights[o]![i]!, x: x[i]!, acc });
      acc = f(acc + f(layer.weights[o]![i]! * x[i]!));
    }
  }
  return pairs;
}

async function buildIn(dir: string, name: string, board: BoardProfile): Promise<string> {
  const build = await buildSketch({ dir, name }, board, { toolchain: 'builtin' });
  return readFileSync(build.hexPath, 'utf8');
}

async function main(): Promise<void> {
  const board = getBoard('uno');
  const work = mkdtempSync(path.join(tmpdir(), 'bench-inference-'));
  const model = runExample('digits').result.model;
  const data = builtinDataset('digits');
  const rows = data.inputs.slice(0, ROWS);

  const sketch = await generateSketch(model, board, { outDir: path.join(work, 'digits') });
  const build = await buildSketch(sketch, board, { toolchain: 'builtin' });
  const floorDir = path.join(work, 'floor');
  mkdirSync(floorDir);
  writeFileSync(path.join(floorDir, 'floor.ino'), floorSketch(realOperands(model, rows[0]!)));
  const floorHex = await buildIn(floorDir, 'floor', board);

  // The floor, measured on the virtual Uno.
  const floorBoard = createAvrRunner(floorHex, board);
  const floorLine = waitLine(floorBoard, lineReader(floorBoard), /^floor /, 'floor measurement');
  const [, mulSum, addSum, noneSum, n] = /mul (\d+) add (\d+) none (\d+) n (\d+)/.exec(floorLine)!.map(Number) as number[];
  const mul = (mulSum! - noneSum!) / n!;
  const add = (addSum! - noneSum!) / n!;

  const digitsRun = runModel(readFileSync(build.hexPath, 'utf8'), board, model, rows);
  const { cycles, identical, executed } = digitsRun;

  // A model whose inputs are never zero (nothing skipped): the digits weights with tanh hidden units, rows shifted by
  // half a pixel, so every multiply-add runs.
  const dense = denseTwin(model);
  const denseRows = rows.map((r) => r.map((v) => v + 0.5));
  const denseSketch = await generateSketch(dense, board, { outDir: path.join(work, 'dense') });
  const denseBuild = await buildSketch(denseSketch, board, { toolchain: 'builtin' });
  const denseRun = runModel(readFileSync(denseBuild.hexPath, 'utf8'), board, dense, denseRows);

  // The activations against avr-libc's expf, on the fuzz firmware (the runtime's own functions, avr-gcc -Os).
  const arith = new ArithBoard(await buildArithFirmware());
  const actArgs = Array.from({ length: 256 }, generator('exp', 'sensor', 5));
  const symArgs = Array.from({ length: 256 }, generator('sigmoid', 'sensor', 5));
  const softArgs = Array.from({ length: 256 }, generator('softmax', 'sensor', 5));
  const act = {
    expf: cyclesPerOp(arith, 'expf', actArgs),
    exp: cyclesPerOp(arith, 'exp', actArgs),
    sigmoid: cyclesPerOp(arith, 'sigmoid', symArgs),
    tanh: cyclesPerOp(arith, 'tanh', symArgs),
    softmax3: cyclesPerOp(arith, 'softmax', softArgs),
  };
  // The same sketch with the portable C multiply-accumulate (NN_PORTABLE_KERNEL): what the assembly adds and saves.
  const portableDir = path.join(work, 'digits_c');
  cpSync(sketch.dir, portableDir, { recursive: true, filter: (src) => !src.includes('build-') });
  const ino = path.join(portableDir, `${path.basename(sketch.dir)}.ino`);
  renameSync(ino, path.join(portableDir, 'digits_c.ino'));
  const runtime = path.join(portableDir, 'nn_runtime.h');
  writeFileSync(runtime, `#define NN_PORTABLE_KERNEL 1\n${readFileSync(runtime, 'utf8')}`);
  const portableBuild = await buildSketch({ dir: portableDir, name: 'digits_c' }, board, { toolchain: 'builtin' });
  const portableRun = runModel(readFileSync(portableBuild.hexPath, 'utf8'), board, model, rows);

  const macs = model.layers.reduce((s, l) => s + l.inputs * l.outputs, 0);
  const mean = average(cycles);
  const floor = macs * (mul + add);
  const perMac = mean / (executed / rows.length);
  const denseMean = average(denseRun.cycles);
  const denseExecuted = denseRun.executed / denseRows.length;
  const fmt = (x: number, d = 0): string => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
  const lines = [
    `digits ${model.layers.map((l) => l.inputs).join('-')}-${model.layers.at(-1)!.outputs} (${model.layers.map((l) => l.activation).join(', ')}) on the virtual Uno, ${rows.length} rows, ${identical}/${rows.length} replies bit-identical to forward()`,
    `  firmware          flash ${fmt(build.flashBytes)} B, SRAM ${fmt(build.sramBytes)} B (avr-size)`,
    `  cycles/inference  mean ${fmt(mean)}  min ${fmt(Math.min(...cycles))}  max ${fmt(Math.max(...cycles))}  (${fmt((mean / board.fCpu) * 1000, 2)} ms at 16 MHz; target <= 250,000)`,
    `  multiply-adds     ${fmt(macs)} in the model; ${fmt(executed / rows.length, 1)} executed on average (zero inputs skipped exactly)`,
    `  float mul + add   ${fmt(mul, 1)} + ${fmt(add, 1)} = ${fmt(mul + add, 1)} cycles (avr-libc, measured in this run on the model's own operands)`,
    `  floor             ${fmt(macs)} x ${fmt(mul + add, 1)} = ${fmt(floor)} cycles`,
    `  ratio             ${(mean / floor).toFixed(3)} x the floor (activations and normalization included)`,
    `  per executed MAC  ${fmt(perMac, 1)} cycles, everything included = ${(perMac / (mul + add)).toFixed(3)} x avr-libc mul + add (target <= 0.5)`,
    `no zero inputs: the same weights with tanh hidden units, rows + 0.5, ${denseRun.identical}/${denseRows.length} replies bit-identical`,
    `  cycles/inference  mean ${fmt(denseMean)}; ${fmt(denseExecuted, 1)} of ${fmt(macs)} multiply-adds executed`,
    `  ratio             ${(denseMean / floor).toFixed(3)} x the floor (target <= 0.55)`,
    `activations (runtime, avr-gcc -Os) against avr-libc expf, cycles per call on sensor-range arguments`,
    `  expf (avr-libc)   ${fmt(act.expf)}`,
    `  exp               ${fmt(act.exp)} = ${(act.exp / act.expf).toFixed(3)} x expf (goal <= 0.5)`,
    `  sigmoid           ${fmt(act.sigmoid)} = ${(act.sigmoid / act.expf).toFixed(3)} x expf`,
    `  tanh              ${fmt(act.tanh)} = ${(act.tanh / act.expf).toFixed(3)} x expf`,
    `  softmax of 3      ${fmt(act.softmax3)} (${fmt(act.softmax3 / 3)} per output)`,
    `the portable C multiply-accumulate instead (NN_PORTABLE_KERNEL), same rows, ${portableRun.identical}/${rows.length} bit-identical`,
    `  cycles/inference  mean ${fmt(average(portableRun.cycles))}; the assembly kernel runs in ${(mean / average(portableRun.cycles)).toFixed(3)} x that`,
    `  per executed MAC  ${fmt(average(portableRun.cycles) / (executed / rows.length), 1)} cycles, everything included`,
    `  flash             ${fmt(portableBuild.flashBytes)} B: the assembly kernel adds ${fmt(build.flashBytes - portableBuild.flashBytes)} B`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

function average(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** One request at a time on a fresh virtual Uno: cycles from each reply (Timer1 around nn_predict on the board). */
function runModel(hex: string, board: BoardProfile, model: ModelFile, rows: readonly (readonly number[])[]): { cycles: number[]; identical: number; executed: number } {
  const runner = createAvrRunner(hex, board);
  const reader = lineReader(runner);
  waitLine(runner, reader, /^#READY /, 'ready line');
  const cycles: number[] = [];
  let identical = 0;
  let executed = 0;
  rows.forEach((row, k) => {
    runner.writeRx(`${encodeRequest(k + 1, row)}\n`);
    const reply = parseBoardLine(waitLine(runner, reader, /^[=!]/, `reply to row ${k}`));
    if (reply.kind !== 'reply') throw new Error(`row ${k}: ${JSON.stringify(reply)}`);
    cycles.push(reply.cycles);
    const want = forward(model, row);
    if (want.every((v, i) => Object.is(v, reply.outputs[i]))) identical++;
    executed += executedMacs(model, row);
  });
  return { cycles, identical, executed };
}

/** The model with tanh instead of relu in its hidden layers: the same size, weights and normalization. */
function denseTwin(model: ModelFile): ModelFile {
  const { hash: _hash, ...rest } = model;
  return finalizeModel({
    ...rest,
    name: `${model.name} dense`,
    layers: model.layers.map((l, k) => (k < model.layers.length - 1 ? { ...l, activation: 'tanh' as const } : l)),
  });
}

/** Multiply-adds nn_dense really runs for this row: inputs equal to zero are skipped. */
function executedMacs(model: ModelFile, row: readonly number[]): number {
  const { offset, scale } = model.normalization;
  let total = 0;
  model.layers.forEach((layer, k) => {
    // The layer's input: the normalized row, or the twin's output of the layers before it.
    const x = k === 0 ? row.map((v, i) => f(f(f(v) - offset[i]!) * scale[i]!)) : forward({ normalization: model.normalization, layers: model.layers.slice(0, k) }, row);
    total += Array.from(x).filter((v) => v !== 0).length * layer.outputs;
  });
  return total;
}

await main();
