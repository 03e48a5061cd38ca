// Firmware memory: the stack high-water mark of the real firmware on the emulated Uno during a run, beside its static SRAM and what stays free.
//
//   npm run bench:stack -- [--dataset digits]
//
// The runner paints all SRAM with 0xC5 at boot; after the run the deepest byte no longer painted is the stack's
// high-water mark. Every path that could go deeper is exercised: requests (with the next one arriving while the
// model computes), human-mode lines (float printing), `?` and error frames.
import { pathToFileURL } from 'node:url';
import type { BoardProfile } from '../core/boards.js';
import type { ModelFile } from '../core/model.js';
import { inputCount } from '../core/model.js';
import { f32Bits } from '../core/f32.js';
import { forward } from '../model/forward.js';
import { encodeRequest, parseBoardLine } from '../bridge/protocol.js';
import { RAM_START } from '../sim/avr-runner.js';
import { readSectionSizes } from '../build/avr-size.js';
import { buildFirmware, createRunnerFor } from './bench-fuzz.js';
import { argValue } from './args.js';

/** Free SRAM the firmware must keep between static data and the deepest stack byte (the test fails below it). */
export const MIN_FREE_SRAM = 256;

export interface StackOptions {
  readonly model: ModelFile;
  readonly hexPath: string;
  /** The ELF beside the hex (default hexPath with .elf): gives __heap_start, the end of static data. */
  readonly elfPath?: string;
  readonly board: BoardProfile;
  /** Raw input rows streamed as requests, two in flight (the protocol's window). */
  readonly rows: readonly (readonly number[])[];
  /** Rows also sent in human mode, as decimal text (default 20). */
  readonly humanRows?: number;
}

export interface StackFigures {
  readonly rows: number;
  readonly answered: number;
  readonly bitIdentical: number;
  readonly humanAnswers: number;
  /** Deepest stack use (painted bytes overwritten, counted from the top of RAM). */
  readonly stackBytes: number;
  /** Deepest stack seen by sampling SP after every slice and every output batch: a lower bound of stackBytes. */
  readonly sampledStackBytes: number;
  /** .data + .bss from the ELF symbols (__heap_start - 0x100). */
  readonly staticBytes: number;
  readonly sramBytes: number;
  /** sramBytes - staticBytes - stackBytes: SRAM never touched. */
  readonly freeBytes: number;
  readonly cycles: number;
  readonly wallSeconds: number;
}

/** Stream `rows` through the firmware on a fresh in-process board and read the painted stack back. */
export function measureStack(opts: StackOptions): StackFigures {
  const { model, board } = opts;
  const t0 = performance.now();
  const r = createRunnerFor(opts.hexPath, board, opts.elfPath);
  const ramEnd = RAM_START + board.sramBytes - 1;
  let minSp = ramEnd;
  const sampleSp = (): void => {
    const sp = r.machine.cpu.SP;
    if (sp < minSp) minSp = sp;
  };
  const pending = new Map<number, readonly number[]>();
  let ready = 0;
  let answered = 0;
  let bitIdentical = 0;
  let humanAnswers = 0;
  let text = '';
  let seq = 1;
  let humanPhase = false;
  let queryPhase = false;
  /** Board lines other than the replies, human answers and ready lines expected: they would mean a lost request. */
  const anomalies: string[] = [];
  r.onTx((bytes) => {
    sampleSp();
    text += Buffer.from(bytes).toString('latin1');
    let nl: number;
    while ((nl = text.indexOf('\n')) >= 0) {
      const line = text.slice(0, nl);
      text = text.slice(nl + 1);
      const p = parseBoardLine(line);
      if (p.kind !== 'reply' && !(p.kind === 'text' && humanPhase) && !(p.kind === 'ready' && (ready === 0 || queryPhase))) {
        if (anomalies.length < 10) anomalies.push(`after request ${seq - 1}: ${JSON.stringify(line.slice(0, 100))}`);
      }
      if (p.kind === 'ready') ready++;
      else if (p.kind === 'text') humanAnswers++;
      else if (p.kind === 'reply') {
        const inputs = pending.get(p.seq);
        if (!inputs) continue;
        pending.delete(p.seq);
        answered++;
        const host = forward(model, inputs);
        if (host.every((h, i) => f32Bits(h) === f32Bits(p.outputs[i] as number))) bitIdentical++;
      } else if (p.kind === 'error' && p.seq !== undefined) pending.delete(p.seq);
    }
  });
  const run = (cond: () => boolean, what: string): void => {
    const ok = r.runUntil(() => {
      sampleSp();
      return cond();
    }, 200_000_000);
    if (!ok) {
      throw new Error(
        `the firmware did not ${what} within 200 M cycles; unanswered requests: ${[...pending.keys()].join(', ') || 'none'}; other lines: ${anomalies.join('; ') || 'none'}`,
      );
    }
  };
  run(() => ready > 0, 'boot (no ready line)');

  const window = 2;
  for (const row of opts.rows) {
    if (pending.size >= window) run(() => pending.size < window, `answer request ${seq - window}`);
    const x = Float32Array.from(row);
    pending.set(seq, Array.from(x));
    r.writeRx(`${encodeRequest(seq++, x)}\n`);
  }
  run(() => pending.size === 0, 'answer the last requests');

  // Human mode prints floats (Serial.print(float, 3)): a different call tree from the reply path.
  humanPhase = true;
  const human = Math.min(opts.humanRows ?? 20, opts.rows.length);
  for (let i = 0; i < human; i++) {
    const before = humanAnswers;
    r.writeRx(`${(opts.rows[i] as readonly number[]).join(',')}\n`);
    run(() => humanAnswers > before, 'answer a human-mode line');
  }
  humanPhase = false;
  queryPhase = true;
  const readyBefore = ready;
  r.writeRx('?\n');
  run(() => ready > readyBefore, 'answer ?');
  r.writeRx(`>1:${'0'.repeat(8 * inputCount(model))}*0000\n`);
  r.writeRx('garbage\n');
  r.runCycles(2_000_000);

  const hw = r.stackHighWater();
  return {
    rows: opts.rows.length,
    answered,
    bitIdentical,
    humanAnswers,
    stackBytes: hw.stackBytes,
    sampledStackBytes: ramEnd - minSp,
    staticBytes: hw.staticBytes,
    sramBytes: hw.sramBytes,
    freeBytes: hw.freeBytes,
    cycles: r.cycles,
    wallSeconds: (performance.now() - t0) / 1000,
  };
}

export function formatStackFigures(f: StackFigures, label: string, avrSize?: { data: number; bss: number }): string {
  return [
    `stack ${label}: ${f.rows} requests (${f.bitIdentical}/${f.answered} bit-identical), ${f.humanAnswers} human-mode answers, ? and error frames`,
    `  stack high-water   ${f.stackBytes} B (painted; SP sampling saw at least ${f.sampledStackBytes} B)`,
    `  static SRAM        ${f.staticBytes} B (.data + .bss${avrSize ? `: avr-size says ${avrSize.data} + ${avrSize.bss} = ${avrSize.data + avrSize.bss} B` : ''})`,
    `  free SRAM          ${f.freeBytes} B = ${f.sramBytes} - ${f.staticBytes} - ${f.stackBytes} (required >= ${MIN_FREE_SRAM} B: ${f.freeBytes >= MIN_FREE_SRAM ? 'ok' : 'FAIL'})`,
    `  time               ${(f.cycles / 1e6).toFixed(0)} M cycles in ${f.wallSeconds.toFixed(1)} s wall`,
  ].join('\n');
}

async function main(): Promise<void> {
  const datasetName = argValue('--dataset') ?? 'digits';
  const fw = await buildFirmware(datasetName);
  const f = measureStack({ model: fw.model, hexPath: fw.hexPath, elfPath: fw.elfPath, board: fw.board, rows: fw.dataset.inputs });
  const sizes = await readSectionSizes(fw.elfPath);
  console.log(formatStackFigures(f, `${datasetName} (${fw.model.hash}, ${[fw.model.layers[0]?.inputs, ...fw.model.layers.map((l) => l.outputs)].join('-')}) on the emulated ${fw.board.id}`, sizes));
  if (f.freeBytes < MIN_FREE_SRAM || f.bitIdentical !== f.rows) process.exitCode = 1;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 2;
  });
}
