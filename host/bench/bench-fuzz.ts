// Firmware under garbage: seeded random and mutated request lines, interleaved with valid requests, fed to the real firmware on the in-process emulated Uno.
//
//   npm run bench:fuzz -- [--lines 10000] [--seed 1] [--dataset iris]
//
// What is checked, line by line (the host side of the protocol is the oracle, never the firmware's own output):
// - valid requests use sequence numbers 1, 2, 3...; every invalid frame uses an 8-digit one >= 0x81000000 whose first
//   two digits are not 0, so a one-byte mutation can never turn it into a valid request's number;
// - a reply `=seq:` is only accepted for a valid request that is unanswered, and its outputs must have the bits of
//   host/model/forward.ts; any other `=` line is a violation (a prediction for garbage, or a second answer);
// - a valid request sent on a clean line (the previous line ended, the board idle, nothing lost) must be answered;
//   one glued to an unterminated garbage line may be refused, and is counted;
// - the board answers every line that has content with exactly one line (the firmware's decoder has no other path),
//   so lines it never answered are counted as silent drops (RX buffer overruns merge lines), and a ready line that no
//   `?` asked for means the board rebooted.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { getBoard } from '../core/boards.js';
import type { BoardProfile } from '../core/boards.js';
import type { Dataset } from '../core/artifacts.js';
import type { ModelFile } from '../core/model.js';
import { inputCount } from '../core/model.js';
import { f32Bits, f32FromBits, f32ToHex } from '../core/f32.js';
import { builtinDataset } from '../data/builtin.js';
import { defaultTrainOptions, trainModel } from '../train/fit.js';
import type { TrainOptions } from '../train/fit.js';
import { generateSketch } from '../codegen/generate.js';
import { buildSketch } from '../build/build.js';
import { forward } from '../model/forward.js';
import { crc16, encodeRequest, parseBoardLine, parseHostLine } from '../bridge/protocol.js';
import { createAvrRunner } from '../sim/avr-runner.js';
import type { AvrRunner } from '../sim/avr-runner.js';
import { readElfSymbols, staticDataEnd } from '../sim/elf-symbols.js';
import { argValue } from './args.js';

/** A trained model and its firmware, built with the real avr-gcc. */
export interface Firmware {
  readonly dataset: Dataset;
  readonly model: ModelFile;
  readonly board: BoardProfile;
  readonly hexPath: string;
  readonly elfPath: string;
  /** avr-size figures of the build: flash (.text + .data) and static SRAM (.data + .bss), bytes. */
  readonly flashBytes: number;
  readonly sramBytes: number;
}

/**
 * Train a built-in data set with its preset (overridable), generate and build the sketch for `boardId`.
 * The benches use this; the tests build the same chain through tests/bridge/chain.ts.
 * @param opts.dir build folder (default a fresh temp folder); opts.train settings over the preset (default none).
 */
export async function buildFirmware(datasetName: string, opts: { boardId?: string; dir?: string; train?: Partial<TrainOptions> } = {}): Promise<Firmware> {
  const board = getBoard(opts.boardId ?? 'uno');
  const dataset = builtinDataset(datasetName);
  const { model } = trainModel(dataset, { ...defaultTrainOptions(dataset), ...opts.train });
  const dir = opts.dir ?? mkdtempSync(path.join(tmpdir(), `reliability-${datasetName}-`));
  const sketch = await generateSketch(model, board, { outDir: path.join(dir, `nn_${datasetName}`) });
  const build = await buildSketch(sketch, board, { toolchain: 'builtin' });
  return { dataset, model, board, hexPath: build.hexPath, elfPath: build.elfPath, flashBytes: build.flashBytes, sramBytes: build.sramBytes };
}

/** A runner on `hexPath`, with the end of static data from the ELF beside it when there is one. */
export function createRunnerFor(hexPath: string, board: BoardProfile, elfPath = hexPath.replace(/\.hex$/i, '.elf')): AvrRunner {
  const staticEnd = existsSync(elfPath) ? staticDataEnd(readElfSymbols(readFileSync(elfPath), elfPath)) : undefined;
  return createAvrRunner(readFileSync(hexPath, 'latin1'), board, { source: hexPath, staticEnd });
}

/** A tiny PRNG (mulberry32): the fuzzer's own, so its stream does not depend on the trainer's. */
class Prng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  u32(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + (this.u32() % (hi - lo + 1));
  }
  float(): number {
    return this.u32() / 2 ** 32;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.u32() % xs.length] as T;
  }
  chance(p: number): boolean {
    return this.float() < p;
  }
}

export const GARBAGE_KINDS = [
  'bad-crc',
  'wrong-length',
  'bad-hex',
  'bad-seq',
  'huge',
  'noise',
  'truncated',
  'flipped',
  'query',
  'human',
  'empty',
] as const;
export type GarbageKind = (typeof GARBAGE_KINDS)[number];

export interface FuzzOptions {
  readonly model: ModelFile;
  readonly hexPath: string;
  readonly board: BoardProfile;
  /** Rows of the data set, used for valid requests and human-mode lines (default: random inputs only). */
  readonly sampleRows?: readonly (readonly number[])[];
  /** Lines to send in all, garbage and valid (default 10,000). */
  readonly lines?: number;
  /** Seed of the fuzzer (default 1). */
  readonly seed?: number;
  /** Called every 1,000 lines with the lines sent so far. */
  readonly onProgress?: (linesSent: number) => void;
}

export interface FuzzReport {
  readonly seed: number;
  readonly lines: number;
  readonly bytesSent: number;
  readonly sentByKind: Record<string, number>;
  readonly rounds: number;
  /** Rounds whose closing valid request (sent on a clean line) was answered. */
  readonly roundsAnswered: number;
  readonly valid: {
    readonly sent: number;
    readonly answered: number;
    readonly bitIdentical: number;
    readonly mismatched: number;
    /** Valid requests sent on a clean line, and how many of them were answered. */
    readonly clean: number;
    readonly cleanAnswered: number;
    /** Valid requests glued to an unterminated garbage line: answered, refused with an error, or never answered. */
    readonly glued: number;
    readonly gluedAnswered: number;
    readonly gluedRefused: number;
    readonly gluedLost: number;
  };
  readonly boardLines: { readonly total: number; readonly replies: number; readonly errors: number; readonly ready: number; readonly text: number; readonly garbled: number };
  readonly errorsByCode: Record<string, number>;
  /** Lines with content sent to the board (each should get exactly one line back). */
  readonly linesToAnswer: number;
  /** Lines the board never answered (lost to RX overruns, which merge lines). */
  readonly silentDrops: number;
  /** Garbage lines sent alone to an idle board (each must get exactly one answer; a miss is a violation). */
  readonly singleLines: number;
  /** Silent drops by the kind of round they happened in (paced: one line at a time; blast: a burst at wire speed). */
  readonly silentDropsByMode: Record<string, number>;
  readonly roundsByMode: Record<string, number>;
  /** `\n` sent to resynchronise after a suspected overrun, and how many of them ended a merged line (answered). */
  readonly resyncs: number;
  readonly resyncAnswered: number;
  /** Ready lines no `?` asked for: board reboots. */
  readonly unexpectedReady: number;
  /** Board lines beyond one per line sent. */
  readonly extraLines: number;
  /** Garbage lines that are valid requests by the protocol (a CRC-16 collision of glued garbage); their answers are legitimate. */
  readonly crcCollisions: number;
  readonly violations: number;
  /** The first violations, described. */
  readonly violationSamples: readonly string[];
  readonly cycles: number;
  readonly simulatedSeconds: number;
  readonly wallSeconds: number;
}

/** Idle: no board output and nothing left on the wire for this many cycles (15.6 ms of a 16 MHz Uno; an iris row takes ~2 ms). */
const IDLE_CYCLES = 250_000;
/** Longest wait for the board to settle: 12.5 s of board time (a blast of huge lines takes a few seconds on the wire). */
const MAX_WAIT_CYCLES = 200_000_000;

/** Run the fuzz campaign synchronously on a fresh in-process board. Throws only if the firmware never boots. */
export function runFuzz(opts: FuzzOptions): FuzzReport {
  const { model, board } = opts;
  const nIn = inputCount(model);
  const seed = opts.seed ?? 1;
  const target = opts.lines ?? 10_000;
  const rng = new Prng(seed);
  const samples = opts.sampleRows ?? [];
  const t0 = performance.now();

  const r = createRunnerFor(opts.hexPath, board);
  // ---- board -> host ----
  let rxText = '';
  let lastTxCycle = 0;
  const boardLines = { total: 0, replies: 0, errors: 0, ready: 0, text: 0, garbled: 0 };
  const errorsByCode: Record<string, number> = {};
  const violationSamples: string[] = [];
  let violations = 0;
  const violate = (what: string): void => {
    violations++;
    if (violationSamples.length < 20) violationSamples.push(what);
  };
  /** Valid requests not yet answered: seq -> inputs (float32 values). */
  const outstanding = new Map<number, Float32Array>();
  /** Answers to outstanding requests: seq -> 'answered' | 'refused'. */
  const outcome = new Map<number, 'answered' | 'refused'>();
  /** Garbage lines that parse as valid requests (CRC collisions): seq -> inputs. */
  const collisions = new Map<number, Float32Array>();
  const valid = { sent: 0, answered: 0, bitIdentical: 0, mismatched: 0, clean: 0, cleanAnswered: 0, glued: 0, gluedAnswered: 0, gluedRefused: 0, gluedLost: 0 };
  let booted = false;
  let queriesSent = 0;
  let unexpectedReady = 0;

  const onBoardLine = (line: string): void => {
    const parsed = parseBoardLine(line);
    if (!booted) {
      if (parsed.kind === 'ready') booted = true;
      return;
    }
    boardLines.total++;
    switch (parsed.kind) {
      case 'ready':
        boardLines.ready++;
        if (boardLines.ready > queriesSent) unexpectedReady++;
        return;
      case 'text':
        boardLines.text++;
        return;
      case 'garbled':
        boardLines.garbled++;
        violate(`the board sent a line that fails its own check (${parsed.reason}): ${JSON.stringify(line.slice(0, 80))}`);
        return;
      case 'error': {
        boardLines.errors++;
        errorsByCode[parsed.code] = (errorsByCode[parsed.code] ?? 0) + 1;
        if (parsed.seq !== undefined && outstanding.has(parsed.seq)) {
          outstanding.delete(parsed.seq);
          outcome.set(parsed.seq, 'refused');
        }
        return;
      }
      case 'reply': {
        boardLines.replies++;
        const inputs = outstanding.get(parsed.seq) ?? collisions.get(parsed.seq);
        if (!inputs) {
          violate(`a prediction for seq ${parsed.seq.toString(16)}, which is no unanswered valid request: ${line.slice(0, 80)}`);
          return;
        }
        if (outstanding.delete(parsed.seq)) {
          outcome.set(parsed.seq, 'answered');
          valid.answered++;
        } else {
          collisions.delete(parsed.seq);
        }
        const host = forward(model, inputs);
        const same = host.length === parsed.outputs.length && host.every((h, i) => f32Bits(h) === f32Bits(parsed.outputs[i] as number));
        if (same) valid.bitIdentical++;
        else {
          valid.mismatched++;
          violate(`seq ${parsed.seq.toString(16)}: board outputs ${Array.from(parsed.outputs, f32ToHex).join(',')}, host ${Array.from(host, f32ToHex).join(',')}`);
        }
        return;
      }
    }
  };
  r.onTx((bytes) => {
    lastTxCycle = r.cycles;
    rxText += Buffer.from(bytes).toString('latin1');
    let nl: number;
    while ((nl = rxText.indexOf('\n')) >= 0) {
      onBoardLine(rxText.slice(0, nl));
      rxText = rxText.slice(nl + 1);
    }
  });
  if (!r.runUntil(() => booted, 50_000_000)) throw new Error(`the firmware ${opts.hexPath} sent no ready line`);

  // ---- host -> board ----
  const sentByKind: Record<string, number> = {};
  let linesSent = 0;
  let bytesSent = 0;
  let lineOpen = ''; // bytes sent since the last '\n' (what the board's decoder is in the middle of)
  let linesToAnswer = 0; // lines with content terminated so far
  let answeredBase = 0; // board lines that count towards linesToAnswer (reset at resyncs)
  let expectedBase = 0;
  let silentDrops = 0;
  const silentDropsByMode: Record<string, number> = {};
  let mode = 'start';
  let resyncs = 0;
  let resyncAnswered = 0;
  let extraLines = 0;
  let crcCollisions = 0;
  let nextValidSeq = 1;

  const count = (kind: string): void => {
    sentByKind[kind] = (sentByKind[kind] ?? 0) + 1;
    linesSent++;
    if (linesSent % 1000 === 0) opts.onProgress?.(linesSent);
  };

  /** Send raw bytes (latin1), tracking line ends as the firmware's decoder sees them. */
  const send = (bytes: string): void => {
    bytesSent += bytes.length;
    let start = 0;
    for (let i = 0; i < bytes.length; i++) {
      if (bytes.charCodeAt(i) !== 10) continue;
      endLine(lineOpen + bytes.slice(start, i));
      lineOpen = '';
      start = i + 1;
    }
    lineOpen += bytes.slice(start);
    r.writeRx(Buffer.from(bytes, 'latin1'));
  };

  const endLine = (line: string): void => {
    const content = line.replace(/\r/g, '');
    if (content.length === 0) return; // the decoder skips empty lines and stray \r
    linesToAnswer++;
    if (content === '?') queriesSent++;
    const host = parseHostLine(line, nIn);
    if (host.kind === 'request' && !outstanding.has(host.seq) && host.seq >= 0x81000000) {
      crcCollisions++;
      collisions.set(host.seq, host.inputs);
    }
  };

  const answeredNow = (): number => boardLines.total - answeredBase;
  const expectedNow = (): number => linesToAnswer - expectedBase;

  /** Run until the board has answered every line sent, or has been idle for IDLE_CYCLES with nothing on the wire. */
  const waitIdle = (extra: () => boolean = () => false): void => {
    let lastActivity = r.cycles;
    let seenTx = lastTxCycle;
    r.runUntil(() => {
      if (r.rxPending > 0 || lastTxCycle !== seenTx) {
        lastActivity = r.cycles;
        seenTx = lastTxCycle;
        return false;
      }
      if (extra()) return true;
      return answeredNow() >= expectedNow() || r.cycles - lastActivity > IDLE_CYCLES;
    }, MAX_WAIT_CYCLES);
  };

  /** Make the line clean: end an open line, settle the board, count what went unanswered, resynchronise after a loss. */
  const ensureClean = (): void => {
    if (lineOpen.length > 0) {
      send('\n');
      resyncs++;
    }
    waitIdle();
    const deficit = expectedNow() - answeredNow();
    if (deficit < 0) {
      extraLines += -deficit;
      violate(`the board sent ${-deficit} line(s) more than the lines it was sent`);
    } else if (deficit > 0) {
      // Bytes were lost (RX overrun): a '\n' may be among them, so the decoder may still be inside a line.
      silentDrops += deficit;
      silentDropsByMode[mode] = (silentDropsByMode[mode] ?? 0) + deficit;
      const before = boardLines.total;
      send('\n');
      resyncs++;
      waitIdle();
      resyncAnswered += boardLines.total - before;
    }
    answeredBase = boardLines.total;
    expectedBase = linesToAnswer;
  };

  // ---- valid requests ----
  const randomInputs = (): Float32Array => {
    const x = new Float32Array(nIn);
    const mode = rng.int(0, 3);
    const row = samples.length > 0 ? samples[rng.int(0, samples.length - 1)] : undefined;
    for (let i = 0; i < nIn; i++) {
      if (mode === 0 && row) x[i] = row[i] as number;
      else if (mode === 1 && row) x[i] = (row[i] as number) * (1 + (rng.float() - 0.5) * 0.2);
      else if (mode === 2) x[i] = (rng.float() - 0.5) * 100;
      else {
        // A float32 with a random mantissa and a moderate exponent (1e-30 .. 1e4), either sign, or an exact zero.
        const exp = rng.int(127 - 100, 127 + 13);
        x[i] = rng.chance(0.05) ? (rng.chance(0.5) ? 0 : -0) : f32FromBits((((rng.u32() & 1) << 31) | (exp << 23) | (rng.u32() & 0x7fffff)) >>> 0);
      }
    }
    return x;
  };

  const sendValid = (): number => {
    const seq = nextValidSeq++;
    const inputs = randomInputs();
    outstanding.set(seq, inputs);
    valid.sent++;
    count('valid');
    send(`${encodeRequest(seq, inputs)}\n`);
    return seq;
  };

  /** Run until `seq` is answered or refused (or the board falls idle without a word about it). */
  const waitFor = (seq: number): 'answered' | 'refused' | 'lost' => {
    waitIdle(() => outcome.has(seq));
    const o = outcome.get(seq);
    outcome.delete(seq);
    if (o) return o;
    outstanding.delete(seq); // never answered: a late reply would now be a violation
    return 'lost';
  };

  // ---- garbage ----
  const hex = '0123456789abcdef';
  const invalidSeq = (): string => `${rng.pick([...'89abcdef'])}${rng.pick([...'123456789abcdef'])}${Array.from({ length: 6 }, () => hex[rng.int(0, 15)]).join('')}`;
  const floatsHex = (k: number): string => Array.from({ length: k }, () => f32ToHex(f32FromBits(rng.u32()))).join('');
  const crcOf = (payload: string): string => crc16(payload).toString(16).toUpperCase().padStart(4, '0');
  const framed = (payload: string): string => `${payload}*${crcOf(payload)}`;
  const invalidFrame = (): string => framed(`>${invalidSeq()}:${floatsHex(nIn)}`);
  const randomBytes = (n: number, weights: { nl: number; nul: number; high: number }): string => {
    let s = '';
    for (let i = 0; i < n; i++) {
      const p = rng.float();
      if (p < weights.nl) s += '\n';
      else if (p < weights.nl + weights.nul) s += '\0';
      else if (p < weights.nl + weights.nul + weights.high) s += String.fromCharCode(rng.int(0x80, 0xff));
      else s += String.fromCharCode(rng.int(0, 0x7f));
    }
    return s;
  };
  const decimal = (v: number): string => (rng.chance(0.2) ? v.toExponential(rng.int(0, 6)) : v.toFixed(rng.int(0, 4)));

  const garbage = (kind: GarbageKind): string => {
    switch (kind) {
      case 'bad-crc': {
        const payload = `>${invalidSeq()}:${floatsHex(nIn)}`;
        const right = crcOf(payload);
        const v = rng.int(0, 5);
        if (v === 0 && /[A-F]/.test(right)) return `${payload}*${right.toLowerCase()}\n`;
        if (v === 1) return `${payload}*${right.slice(0, 3)}\n`;
        if (v === 2) return `${payload}*${right}${hex[rng.int(0, 15)]!.toUpperCase()}\n`;
        if (v === 3) return `${payload}*\n`;
        if (v === 4) return `${payload}\n`;
        return `${payload}*${(crc16(payload) ^ rng.int(1, 0xffff)).toString(16).toUpperCase().padStart(4, '0')}\n`;
      }
      case 'wrong-length': {
        // Whole floats but the wrong count, or a digit count that is not a multiple of 8; the check value is right.
        const k = rng.chance(0.5) ? rng.pick([0, 1, nIn - 1, nIn + 1, nIn * 2].filter((x) => x >= 0 && x !== nIn)) : -1;
        const body = k >= 0 ? floatsHex(k) : floatsHex(nIn + 1).slice(0, Math.max(0, nIn * 8 + rng.pick([-7, -3, -1, 1, 3, 7])));
        return `${framed(`>${invalidSeq()}:${body}`)}\n`;
      }
      case 'bad-hex': {
        const body = floatsHex(nIn).split('');
        const at = rng.int(0, body.length - 1);
        body[at] = rng.pick(['A', 'F', 'g', 'x', ' ', ',', '-', '.', 'G']);
        if (rng.chance(0.3)) for (let i = 0; i < body.length; i++) body[i] = body[i]!.toUpperCase();
        return `${framed(`>${invalidSeq()}:${body.join('')}`)}\n`;
      }
      case 'bad-seq': {
        const seq = rng.pick(['', `${invalidSeq()}${hex[rng.int(1, 15)]}`, `F${invalidSeq().slice(1).toUpperCase()}`, 'zz', '-1', ' 1', `${invalidSeq()}${invalidSeq()}`]);
        const colon = rng.chance(0.85) ? ':' : rng.pick([';', '', '::']);
        return `${framed(`>${seq}${colon}${floatsHex(nIn)}`)}\n`;
      }
      case 'huge': {
        const n = rng.int(80, 1200); // longer than any request line (iris: 47 bytes, digits: 527)
        const v = rng.int(0, 3);
        if (v === 0) return `${Array.from({ length: n }, () => String.fromCharCode(rng.int(0x20, 0x7e))).join('')}\n`;
        if (v === 1) return `${framed(`>${invalidSeq()}:${floatsHex(Math.ceil(n / 8))}`)}\n`;
        if (v === 2) return `${Array.from({ length: Math.ceil(n / 4) }, () => decimal((rng.float() - 0.5) * 20)).join(',')}\n`;
        return `${invalidFrame().repeat(Math.ceil(n / 50))}\n`;
      }
      case 'noise':
        return randomBytes(rng.int(1, 300), { nl: 0.03, nul: 0.05, high: 0.35 });
      case 'truncated': {
        const f = invalidFrame();
        return f.slice(0, rng.int(1, f.length - 1));
      }
      case 'flipped': {
        const f = invalidFrame();
        const at = rng.int(0, f.length - 1);
        return `${f.slice(0, at)}${String.fromCharCode(f.charCodeAt(at) ^ rng.int(1, 255))}${f.slice(at + 1)}\n`;
      }
      case 'query':
        return rng.pick(['?\n', '?\r\n', '\r?\n']);
      case 'human': {
        const row = samples.length > 0 && rng.chance(0.6) ? samples[rng.int(0, samples.length - 1)]! : Array.from({ length: nIn }, () => (rng.float() - 0.5) * 10);
        const v = rng.int(0, 4);
        const sep = rng.pick([',', ' ', ', ', '\t', ';']);
        const end = rng.pick(['\n', '\r\n']);
        if (v <= 1) return `${row.map(decimal).join(sep)}${end}`; // a full row: the board answers with a label
        if (v === 2) return `${row.slice(0, rng.int(0, nIn - 1)).map(decimal).concat(rng.chance(0.5) ? ['1', '2'] : []).join(sep)}${end}`;
        if (v === 3) return `${rng.pick(['1.2.3', '--1', '1e', '+', '.', '1e+-2', '0x10', '1,,2', '5,abc', '1e99999', '-.e1'])}${end}`;
        return `${'9'.repeat(rng.int(10, 40))}${sep}${row.slice(1).map(decimal).join(sep)}${end}`;
      }
      case 'empty':
        return rng.pick(['\n', '\r\n', '\r\r\n', '\r']);
    }
  };

  let lastKind = '';
  const sendGarbage = (): void => {
    const kind = rng.pick(GARBAGE_KINDS);
    lastKind = kind;
    count(kind);
    send(garbage(kind));
  };

  // ---- rounds ----
  let rounds = 0;
  let singleLines = 0;
  const roundsByMode: Record<string, number> = {};
  let roundsAnswered = 0;
  const cleanValid = (): boolean => {
    ensureClean();
    valid.clean++;
    const seq = sendValid();
    const o = waitFor(seq);
    if (o === 'answered') {
      valid.cleanAnswered++;
      return true;
    }
    violate(`valid request ${seq.toString(16)} on a clean line was ${o}`);
    return false;
  };

  while (linesSent < target) {
    rounds++;
    mode = rng.pick(['paced', 'paced', 'blast', 'blast', 'valid-then-blast', 'window'] as const);
    roundsByMode[mode] = (roundsByMode[mode] ?? 0) + 1;
    const burst = rng.int(1, 8);
    if (mode === 'paced') {
      for (let i = 0; i < burst; i++) {
        // A single line sent to an idle board, with nothing else on the wire, must be answered: no buffer can overflow.
        const single = lineOpen.length === 0 && answeredNow() === expectedNow();
        const exp0 = expectedNow();
        const ans0 = answeredNow();
        sendGarbage();
        if (lineOpen.length > 0) continue;
        waitIdle();
        if (single && expectedNow() - exp0 === 1) {
          singleLines++;
          if (answeredNow() - ans0 !== 1) violate(`a single ${lastKind} line sent to an idle board got ${answeredNow() - ans0} answers`);
        }
      }
    } else if (mode === 'blast') {
      for (let i = 0; i < burst; i++) sendGarbage();
      waitIdle();
    } else if (mode === 'valid-then-blast') {
      // A valid request, and garbage right behind it while the board computes: the request must still be answered.
      ensureClean();
      valid.clean++;
      const seq = sendValid();
      for (let i = 0; i < burst; i++) sendGarbage();
      const o = waitFor(seq);
      if (o === 'answered') valid.cleanAnswered++;
      else violate(`valid request ${seq.toString(16)} followed by garbage was ${o}`);
    } else {
      // The protocol's window: two requests back to back, both answered.
      ensureClean();
      valid.clean += 2;
      const a = sendValid();
      const b = sendValid();
      for (const seq of [a, b]) {
        const o = waitFor(seq);
        if (o === 'answered') valid.cleanAnswered++;
        else violate(`valid request ${seq.toString(16)} (window of 2) was ${o}`);
      }
    }
    if (lineOpen.length > 0) {
      // Glued onto an unterminated line: the board may refuse it, but must not answer anything else.
      valid.glued++;
      const o = waitFor(sendValid());
      if (o === 'answered') valid.gluedAnswered++;
      else if (o === 'refused') valid.gluedRefused++;
      else valid.gluedLost++;
    }
    if (cleanValid()) roundsAnswered++;
  }
  ensureClean();
  for (const seq of outstanding.keys()) violate(`valid request ${seq.toString(16)} never answered`);

  return {
    seed,
    lines: linesSent,
    bytesSent,
    sentByKind,
    rounds,
    roundsAnswered,
    valid,
    boardLines,
    errorsByCode,
    linesToAnswer,
    silentDrops,
    singleLines,
    silentDropsByMode,
    roundsByMode,
    resyncs,
    resyncAnswered,
    unexpectedReady,
    extraLines,
    crcCollisions,
    violations,
    violationSamples,
    cycles: r.cycles,
    simulatedSeconds: r.cycles / board.fCpu,
    wallSeconds: (performance.now() - t0) / 1000,
  };
}

/** The report as text lines for the terminal and docs/reliability.md. */
export function formatFuzzReport(rep: FuzzReport, label: string): string {
  const kv = (o: Record<string, number>): string =>
    Object.entries(o)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
  const v = rep.valid;
  return [
    `fuzz ${label}, seed ${rep.seed}: ${rep.lines} lines (${rep.bytesSent} bytes) in ${rep.rounds} rounds`,
    `  sent by kind    ${kv(rep.sentByKind)}`,
    `  valid requests  ${v.sent} sent, ${v.answered} answered, ${v.bitIdentical} bit-identical, ${v.mismatched} mismatched`,
    `                  clean line: ${v.cleanAnswered}/${v.clean} answered; glued to unterminated garbage: ${v.glued} (${v.gluedAnswered} answered, ${v.gluedRefused} refused, ${v.gluedLost} lost)`,
    `  rounds answered ${rep.roundsAnswered}/${rep.rounds} (a valid request after each burst); rounds by mode: ${kv(rep.roundsByMode)}`,
    `  board lines     ${rep.boardLines.total}: ${rep.boardLines.replies} replies, ${rep.boardLines.errors} errors, ${rep.boardLines.ready} ready, ${rep.boardLines.text} text, ${rep.boardLines.garbled} garbled`,
    `  errors by code  ${kv(rep.errorsByCode)}`,
    `  single lines    ${rep.singleLines} garbage lines sent alone to an idle board, each answered with one line (else a violation)`,
    `  silent drops    ${rep.silentDrops} of ${rep.linesToAnswer} lines with content (RX overruns; by round mode: ${kv(rep.silentDropsByMode) || 'none'}), ${rep.resyncs} resync newlines (${rep.resyncAnswered} ended a merged line)`,
    `  predictions for garbage ${rep.violations === 0 ? 0 : 'see violations'}; unexpected reboots ${rep.unexpectedReady}; extra lines ${rep.extraLines}; CRC collisions ${rep.crcCollisions}`,
    `  violations      ${rep.violations}${rep.violationSamples.map((s) => `\n    - ${s}`).join('')}`,
    `  time            ${(rep.cycles / 1e6).toFixed(0)} M cycles = ${rep.simulatedSeconds.toFixed(1)} s of Uno time in ${rep.wallSeconds.toFixed(1)} s wall`,
  ].join('\n');
}

async function main(): Promise<void> {
  const datasetName = argValue('--dataset') ?? 'iris';
  const lines = Number(argValue('--lines') ?? '10000');
  const seed = Number(argValue('--seed') ?? '1');
  const fw = await buildFirmware(datasetName);
  const rep = runFuzz({ model: fw.model, hexPath: fw.hexPath, board: fw.board, sampleRows: fw.dataset.inputs, lines, seed, onProgress: (n) => process.stderr.write(`\r${n} lines`) });
  process.stderr.write('\n');
  console.log(formatFuzzReport(rep, `${datasetName} (${fw.model.hash}) on the emulated ${fw.board.id}`));
  if (rep.violations > 0 || rep.roundsAnswered !== rep.rounds) process.exitCode = 1;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 2;
  });
}
