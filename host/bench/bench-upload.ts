// Upload time of the digits sketch through Optiboot on the virtual Uno with real avrdude, beside the bound set by the
// bytes on the line at the upload baud; at real-time emulation speed, and at full emulator speed while bytes flow.
// Usage: npm run bench:upload [-- --runs N] [--json]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { getBoard } from '../core/boards.js';
import { builtinDataset } from '../data/builtin.js';
import { defaultTrainOptions, trainModel } from '../train/fit.js';
import { generateSketch } from '../codegen/generate.js';
import { buildSketch } from '../build/build.js';
import { runAvrdude, uploadFirmware } from '../build/upload.js';
import { findBootloader } from '../sim/boot.js';
import { startVirtualBoard } from '../sim/virtual-board.js';
import { argValue } from './args.js';

const json = process.argv.includes('--json');
const runs = Number(argValue('--runs') ?? 2);
const board = getBoard('uno');
const bootloader = findBootloader(board);
const log = (s: string): void => {
  if (!json) process.stderr.write(`${s}\n`);
};

const dataset = builtinDataset('digits');
log('training digits...');
const { model } = trainModel(dataset, defaultTrainOptions(dataset));
const dir = mkdtempSync(path.join(tmpdir(), 'bench-upload-'));
log('generating and building the sketch...');
const sketch = await generateSketch(model, board, { outDir: path.join(dir, 'nn_digits') });
const build = await buildSketch(sketch, board, { toolchain: 'builtin' });

interface Run {
  readonly mode: 'realtime' | 'full-speed';
  readonly totalSeconds: number;
  readonly avrdudeSeconds: number;
  readonly probeSeconds: number;
  readonly bytesToBoard: number;
  readonly bytesToHost: number;
  readonly lineBoundSeconds: number;
  readonly simulatedMhz: number;
}

async function once(mode: Run['mode']): Promise<Run> {
  // realtime: paced to 16 MHz throughout; full-speed: as fast as the emulator goes while host bytes flow (paced only
  // while the bootloader waits, else its one-second window after a reset would shrink below avrdude's first sync).
  const vb = await startVirtualBoard({ board, bootloader, realtime: mode === 'realtime' });
  try {
    let avrdudeSeconds = 0;
    let before = vb.stats();
    const t0 = performance.now();
    const result = await uploadFirmware(build, board, vb.path, {
      speedCacheFile: path.join(dir, 'speeds.json'),
      runAvrdude: async (args, o) => {
        before = vb.stats(); // the probe's bytes are not avrdude's
        const a = performance.now();
        const r = await runAvrdude(args, o);
        avrdudeSeconds = (performance.now() - a) / 1000;
        return r;
      },
    });
    const totalSeconds = (performance.now() - t0) / 1000;
    const after = vb.stats();
    const bytesToBoard = after.bytesToBoard - before.bytesToBoard;
    const bytesToHost = after.bytesToHost - before.bytesToHost;
    // STK500 is request/response: the line carries one direction at a time, 10 bits per byte (8N1).
    const lineBoundSeconds = ((bytesToBoard + bytesToHost) * 10) / result.baud;
    return { mode, totalSeconds, avrdudeSeconds, probeSeconds: totalSeconds - avrdudeSeconds, bytesToBoard, bytesToHost, lineBoundSeconds, simulatedMhz: after.simulatedMhz };
  } finally {
    await vb.stop();
  }
}

const results: Run[] = [];
try {
  for (let i = 0; i < runs; i++) {
    for (const mode of ['realtime', 'full-speed'] as const) {
      log(`upload ${i + 1}/${runs}, ${mode}...`);
      results.push(await once(mode));
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const summary = (['realtime', 'full-speed'] as const).map((mode) => {
  const rs = results.filter((r) => r.mode === mode);
  const avrdude = median(rs.map((r) => r.avrdudeSeconds));
  const bound = median(rs.map((r) => r.lineBoundSeconds));
  return { mode, avrdudeSeconds: avrdude, totalSeconds: median(rs.map((r) => r.totalSeconds)), probeSeconds: median(rs.map((r) => r.probeSeconds)), lineBoundSeconds: bound, ratioToBound: avrdude / bound, simulatedMhz: median(rs.map((r) => r.simulatedMhz)) };
});

if (json) {
  process.stdout.write(`${JSON.stringify({ flashBytes: build.flashBytes, baud: bootloader.baud, runs: results, summary }, null, 2)}\n`);
} else {
  const f = (x: number): string => x.toFixed(2);
  const first = results[0]!;
  process.stdout.write(
    [
      `upload of the digits sketch (${build.flashBytes} bytes of flash) through ${bootloader.name} on the virtual Uno, real avrdude at ${bootloader.baud} baud; median of ${runs} runs each`,
      `  bytes on the line  ${first.bytesToBoard} to the board, ${first.bytesToHost} back (write and verify)`,
      `  line bound         ${f(summary[0]!.lineBoundSeconds)} s (those bytes x 10 bits / ${bootloader.baud} baud, one direction at a time)`,
      ...summary.map(
        (s) =>
          `  ${s.mode.padEnd(17)}  avrdude ${f(s.avrdudeSeconds)} s = ${f(s.ratioToBound)}x the bound; with the bootloader handshake ${f(s.totalSeconds)} s (handshake ${f(s.probeSeconds)} s); emulator ${s.simulatedMhz.toFixed(1)} MHz while running`,
      ),
      '  (avrdude waits for the reset after opening, and each page is a request and a reply: the bound is never reached)',
    ].join('\n') + '\n',
  );
}
