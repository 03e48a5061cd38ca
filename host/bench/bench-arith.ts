// The arithmetic fuzz on the emulated Uno: every float operation the firmware uses (avr-libc's multiply, add and
// divide, the kernel's multiply-add, the activations) against its TypeScript twin, per category of operands.
// Options: --sets N (operand sets per operation and category for the arithmetic, default 1,000,000),
//          --act-sets N (for the activations, default --sets; they cost 15-60x more cycles), --seed N, --ops mul,add,...
import { argValue } from './args.js';
import { buildArithFirmware } from './arith-firmware.js';
import { ArithBoard, CATEGORIES, FUZZ_OPS, fuzzCell } from './arith-fuzz.js';
import type { FuzzCell, FuzzOp } from './arith-fuzz.js';

const ACTIVATIONS: readonly FuzzOp[] = ['exp', 'sigmoid', 'tanh', 'softmax'];

function whole(flag: string, fallback: number): number {
  const text = argValue(flag);
  if (text === undefined) return fallback;
  const n = Number(text.replace(/_/g, ''));
  if (!Number.isInteger(n) || n < 1) {
    process.stderr.write(`bench:arith: ${flag} ${text} is not a whole number of at least 1\nfix: e.g. ${flag} 10000\n`);
    process.exit(2);
  }
  return n;
}

async function main(): Promise<void> {
  const sets = whole('--sets', 1_000_000);
  const actSets = whole('--act-sets', sets);
  const seed = whole('--seed', 1);
  const opsText = argValue('--ops');
  const ops = opsText ? (opsText.split(',') as FuzzOp[]) : [...FUZZ_OPS];
  const unknown = ops.filter((o) => !FUZZ_OPS.includes(o));
  if (unknown.length > 0) {
    process.stderr.write(`bench:arith: unknown operation ${unknown.join(', ')}; the operations are ${FUZZ_OPS.join(', ')}\nfix: --ops mul,add\n`);
    process.exit(2);
  }
  const fw = await buildArithFirmware();
  const board = new ArithBoard(fw);
  const fmt = (x: number): string => x.toLocaleString('en-US', { maximumFractionDigits: 0 });
  process.stdout.write(`arithmetic fuzz on the emulated ATmega328P (avr-libc, avr-gcc -Os) against the TypeScript twin; NaN = NaN whatever its payload\n`);
  process.stdout.write(`${'operation'.padEnd(10)}${CATEGORIES.map((c) => c.padStart(24)).join('')}   cycles/op  seconds\n`);
  let total = 0;
  const bad: FuzzCell[] = [];
  for (const [k, op] of ops.entries()) {
    const n = ACTIVATIONS.includes(op) ? actSets : sets;
    const t0 = performance.now();
    const cells = CATEGORIES.map((cat, j) => fuzzCell(board, op, cat, n, seed * 1000 + k * 10 + j));
    const seconds = (performance.now() - t0) / 1000;
    const cycles = cells.reduce((s, c) => s + c.cycles, 0) / cells.reduce((s, c) => s + c.sets, 0);
    total += cells.reduce((s, c) => s + c.mismatches, 0);
    bad.push(...cells.filter((c) => c.mismatches > 0));
    const text = cells.map((c) => `${fmt(c.mismatches)}/${fmt(c.sets)}${c.nanPayloadDiffers ? '*' : ''}`.padStart(24)).join('');
    process.stdout.write(`${op.padEnd(10)}${text}   ${cycles.toFixed(0).padStart(9)}  ${seconds.toFixed(1).padStart(7)}\n`);
  }
  process.stdout.write(`mismatches/operand sets per category; * = some NaN results differ only in their payload (counted as agreeing)\n`);
  for (const c of bad) {
    for (const e of c.examples) process.stdout.write(`  ${c.op} ${c.category}: a=${e.a} b=${e.b} c=${e.c} board ${e.board} host ${e.host}\n`);
  }
  process.stdout.write(`${total === 0 ? 'PASS' : 'FAIL'}: ${fmt(total)} mismatches\n`);
  if (total > 0) process.exitCode = 1;
}

await main();
