// CSV streaming benchmark: a 1-million-row file read row by row with flat memory; prints rows/s and peak RSS.
// Usage: node --expose-gc dist/bench/bench-csv.js [--rows N] [--keep]    (npm run bench:csv)
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { streamCsvRecords, numberCell } from '../data/csv.js';
import { streamRowsForModel } from '../data/rows.js';
import { builtinDataset } from '../data/builtin.js';
import { defaultTrainOptions, trainModel } from '../train/fit.js';
import { argValue } from './args.js';

/** Write an iris-shaped CSV of `rows` rows (CRLF, a quoted label every 7th row) without holding it in memory. */
async function writeBigCsv(file: string, rows: number): Promise<void> {
  const out = createWriteStream(file);
  out.write('sepal_length_cm,sepal_width_cm,petal_length_cm,petal_width_cm,species\r\n');
  const labels = ['setosa', 'versicolor', 'virginica'];
  let buf = '';
  for (let r = 0; r < rows; r++) {
    const k = r % 3;
    const label = r % 7 === 0 ? `"${labels[k]}"` : labels[k];
    buf += `${(4.3 + ((r * 37) % 36) / 10).toFixed(1)},${(2 + ((r * 11) % 24) / 10).toFixed(1)},${(1 + ((r * 13) % 59) / 10).toFixed(1)},${(0.1 + ((r * 17) % 24) / 10).toFixed(1)},${label}\r\n`;
    if (buf.length > 1 << 16) {
      if (!out.write(buf)) await once(out, 'drain');
      buf = '';
    }
  }
  out.write(buf);
  out.end();
  await once(out, 'finish');
}

async function main(): Promise<void> {
  const rows = Number(argValue('--rows') ?? 1_000_000);
  const dir = mkdtempSync(path.join(tmpdir(), 'deploy-nn-bench-csv-'));
  const file = path.join(dir, 'big.csv');
  try {
    await writeBigCsv(file, rows);
    const mb = statSync(file).size / 1e6;
    const iris = builtinDataset('iris');
    const model = trainModel(iris, { ...defaultTrainOptions(iris), epochs: 5 }).model;
    (globalThis as { gc?: () => void }).gc?.();
    const base = process.memoryUsage().rss;
    let peak = base;
    const sample = () => {
      const rss = process.memoryUsage().rss;
      if (rss > peak) peak = rss;
    };
    const timer = setInterval(sample, 20);

    // 1. The tokenizer alone, checking every input cell is a number (what readCsvFile does per row).
    let t0 = performance.now();
    let n = 0;
    let sum = 0;
    let header: readonly string[] = [];
    for await (const rec of streamCsvRecords(file)) {
      if (n++ === 0) {
        header = rec.cells;
        continue;
      }
      for (let i = 0; i < 4; i++) sum += numberCell(rec.cells[i] as string, false, rec.row, header[i] as string);
      if ((n & 0xffff) === 0) sample();
    }
    const tokSeconds = (performance.now() - t0) / 1000;
    const tokPeak = peak;

    // 2. streamRowsForModel (what verify and monitor use): columns picked by the model's input names.
    t0 = performance.now();
    let m = 0;
    for await (const r of streamRowsForModel(file, model)) {
      m++;
      if (r.label === undefined) throw new Error('label lost');
      if ((m & 0xffff) === 0) sample();
    }
    const rowSeconds = (performance.now() - t0) / 1000;
    clearInterval(timer);
    sample();
    const MB = (b: number) => (b / 1048576).toFixed(1);
    process.stdout.write(`file: ${rows.toLocaleString('en')} rows, ${mb.toFixed(1)} MB (CRLF, quoted labels)\n`);
    process.stdout.write(`streamCsvRecords + number check: ${(rows / tokSeconds / 1e3).toFixed(0)}k rows/s (${tokSeconds.toFixed(2)} s), checksum ${sum.toFixed(1)}\n`);
    process.stdout.write(`streamRowsForModel:              ${(m / rowSeconds / 1e3).toFixed(0)}k rows/s (${rowSeconds.toFixed(2)} s), ${m.toLocaleString('en')} rows\n`);
    process.stdout.write(`RSS before: ${MB(base)} MiB; peak while streaming: ${MB(tokPeak)} MiB (tokenizer), ${MB(peak)} MiB (overall); growth ${MB(peak - base)} MiB for a ${mb.toFixed(0)} MB file\n`);
  } finally {
    if (!process.argv.includes('--keep')) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
