// The one-shot pipeline: data -> trained model -> sketch -> firmware -> board (real or virtual) -> comparison report.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BOARDS, readyQueryDelayMs } from '../core/boards.js';
import type { BoardProfile } from '../core/boards.js';
import { UsageError } from '../core/errors.js';
import type { BuildResult, Dataset, GeneratedSketch, SizeEstimate } from '../core/artifacts.js';
import type { ModelFile } from '../core/model.js';
import { sketchName } from '../core/paths.js';
import type { ComparisonReport, SessionEvent } from '../bridge/events.js';
import { readCsvFile } from '../data/csv.js';
import { builtinDataset } from '../data/builtin.js';
import { defaultTrainOptions, trainModel } from '../train/fit.js';
import type { TrainOptions, TrainProgress } from '../train/fit.js';
import type { EvaluationReport } from '../train/metrics.js';
import { serializeModel } from '../model/model-file.js';
import { generateSketch } from '../codegen/generate.js';
import { checkFits } from '../build/size.js';
import { buildSketch } from '../build/build.js';
import { uploadFirmware } from '../build/upload.js';
import type { UploadResult } from '../build/upload.js';
import { startVirtualBoard } from '../sim/virtual-board.js';
import { openSerialTransport } from '../bridge/transport.js';
import { createSession } from '../bridge/session.js';
import type { RowInput } from '../bridge/session.js';
import type { ToolchainChoice } from '../build/toolchains.js';

export type Stage = 'train' | 'generate' | 'build' | 'upload' | 'sim' | 'verify';

export interface DeployOptions {
  readonly board: BoardProfile;
  /** A CSV file to train on; without it the built-in data set `dataset` is used. */
  readonly data?: string;
  /** Built-in data set name (default `demo`, the 3-4-1 network on eight 3-bit cases). */
  readonly dataset?: string;
  /** Label column of the CSV (default: the last). */
  readonly label?: string;
  /** Settings over the data set's defaults (seed, epochs, hidden...). */
  readonly train?: Partial<TrainOptions>;
  /** Serial port of a real board; without it (or with `sim`) the virtual board runs the firmware. */
  readonly port?: string;
  /** Run the virtual board at the board's real clock (default false: as fast as it goes). */
  readonly realtime?: boolean;
  /** Root for generated sketches (default `generated`). */
  readonly generatedDir?: string;
  /** Folder for model.json, the JSONL row log and report.json (default `out/<sketch name>`). */
  readonly outDir?: string;
  readonly toolchain?: ToolchainChoice;
  /** Stage notices and training progress, for the terminal. */
  readonly onStage?: (stage: Stage, message: string) => void;
  readonly onTrainProgress?: (p: TrainProgress) => void;
  /** Every session event (the dashboard subscribes here). */
  readonly onEvent?: (e: SessionEvent) => void;
  /** Lets the caller reach the running session (the dashboard's console). */
  readonly onSession?: (session: { sendRaw(line: string): void }) => void;
  /**
   * Called once the model is trained and before rows stream, e.g. to open a dashboard for it; the hooks it returns
   * receive the session's events and the session itself, beside onEvent and onSession.
   */
  readonly attach?: (model: ModelFile, rowCount: number) => Promise<SessionHooks>;
}

export interface SessionHooks {
  readonly onEvent: (e: SessionEvent) => void;
  readonly onSession: (session: { sendRaw(line: string): void }) => void;
}

export interface DeployReport {
  readonly board: string;
  readonly train: {
    readonly dataset: string;
    readonly rows: number;
    readonly modelPath: string;
    readonly hash: string;
    readonly architecture: string;
    readonly evaluation: EvaluationReport;
    readonly stopReason: string;
    readonly epochs: number;
    /** What the target stop watched: accuracy, or closeness (1 - mean |error|, the 3-4-1 tutorial's measure). */
    readonly stopMetric: 'accuracy' | 'closeness';
  };
  readonly generate: { readonly dir: string; readonly files: readonly string[] };
  readonly estimate: SizeEstimate;
  readonly build: BuildResult;
  readonly port: string;
  readonly virtual: boolean;
  /** The upload to a real port (absent on the virtual board of --port sim). */
  readonly upload?: UploadResult;
  readonly verify: ComparisonReport;
  readonly logPath: string;
}

export function architectureOf(model: Pick<ModelFile, 'layers'>): string {
  const l = model.layers;
  return `${[l[0]?.inputs ?? 0, ...l.map((x) => x.outputs)].join('-')} (${l.map((x) => x.activation).join(', ')})`;
}

/** Rows the board is checked on: every row of the data, with its label name. */
export function verificationRows(ds: Dataset): RowInput[] {
  return ds.inputs.map((inputs, i) => ({
    inputs,
    label: ds.task === 'regression' ? undefined : ds.classes[ds.targets[i] as number],
  }));
}

export async function deploy(opts: DeployOptions): Promise<DeployReport> {
  const stage = opts.onStage ?? (() => {});
  const { board } = opts;
  const virtual = opts.port === undefined || opts.port === 'sim';
  if (virtual && !board.simulated) {
    const can = BOARDS.filter((b) => b.simulated).map((b) => b.id);
    throw new UsageError(`the virtual board cannot run ${board.id} (${board.mcu})`, `give --port PATH of a real ${board.name}, or use --board ${can.join(' or --board ')}`);
  }

  const dataset = opts.data
    ? await readCsvFile(opts.data, { name: path.basename(opts.data, path.extname(opts.data)), ...(opts.label ? { label: opts.label } : {}) })
    : builtinDataset(opts.dataset ?? 'demo');
  const trainOptions = { ...defaultTrainOptions(dataset), ...opts.train };
  stage('train', `training on ${dataset.name}: ${dataset.inputs.length} rows, ${dataset.inputNames.length} inputs`);
  const trained = trainModel(dataset, trainOptions, opts.onTrainProgress ? { onProgress: opts.onTrainProgress } : {});
  const model = trained.model;
  const sketchBase = path.resolve(opts.generatedDir ?? 'generated');
  const outDir = path.resolve(opts.outDir ?? path.join('out', sketchName(model.name)));
  await mkdir(outDir, { recursive: true });
  const modelPath = path.join(outDir, 'model.json');
  await writeFile(modelPath, serializeModel(model));
  stage('train', `model ${model.hash} (${architectureOf(model)}) written to ${path.relative(process.cwd(), modelPath)}`);

  const estimate = checkFits(model, board);
  const sketch: GeneratedSketch = await generateSketch(model, board, { outDir: path.join(sketchBase, sketchName(model.name)) });
  stage('generate', `sketch in ${path.relative(process.cwd(), sketch.dir)}`);

  stage('build', `building for ${board.name}`);
  const build = await buildSketch(sketch, board, { toolchain: opts.toolchain ?? 'auto' });
  stage('build', `flash ${build.flashBytes}/${build.flashLimit} B, SRAM ${build.sramBytes}/${build.sramLimit} B (${build.toolchain})`);

  const logPath = path.join(outDir, 'verify.jsonl');
  const rows = verificationRows(dataset);
  let virtualBoard: Awaited<ReturnType<typeof startVirtualBoard>> | undefined;
  let portPath: string;
  let upload: UploadResult | undefined;
  if (!virtual && opts.port !== undefined) {
    let port = opts.port;
    if (port === 'auto') {
      const { pickAutoPort } = await import('../ports/auto.js');
      const { listSerialPorts } = await import('../ports/touch.js');
      port = (await pickAutoPort(board, listSerialPorts)).path;
    }
    stage('upload', `uploading to ${port}`);
    const up = await uploadFirmware(build, board, port, { onNote: (m) => stage('upload', m) });
    upload = up;
    stage('upload', `${up.bytes} bytes written and verified at ${up.baud} baud in ${up.seconds.toFixed(1)} s`);
    portPath = port; // the sketch's port (a Leonardo's bootloader port differs, and goes away)
  } else {
    virtualBoard = await startVirtualBoard({ hexPath: build.hexPath, board, realtime: opts.realtime ?? false });
    portPath = virtualBoard.path;
    stage('sim', `virtual ${board.name} running ${path.relative(process.cwd(), build.hexPath)} on ${portPath}`);
  }
  try {
    const attached = opts.attach ? await opts.attach(model, rows.length) : undefined;
    stage('verify', `streaming ${rows.length} rows to ${portPath}`);
    const session = createSession({
      model,
      rows,
      board,
      transport: () => openSerialTransport({ path: portPath, baudRate: board.baud }),
      ...(virtualBoard ? {} : { queryAfterMs: readyQueryDelayMs(board) }),
      logPath,
      onEvent: (e) => {
        attached?.onEvent(e);
        opts.onEvent?.(e);
      },
    });
    attached?.onSession(session);
    opts.onSession?.(session);
    const verify = await session.done;
    const report: DeployReport = {
      board: board.id,
      train: {
        dataset: dataset.name,
        rows: dataset.inputs.length,
        modelPath,
        hash: model.hash,
        architecture: architectureOf(model),
        evaluation: trained.evaluation,
        stopReason: trained.history.stopReason,
        epochs: trained.history.epochs,
        stopMetric: trainOptions.stopMetric,
      },
      generate: { dir: sketch.dir, files: sketch.files },
      estimate,
      build,
      port: portPath,
      virtual: virtualBoard !== undefined,
      ...(upload ? { upload } : {}),
      verify,
      logPath,
    };
    await writeFile(path.join(outDir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
    return report;
  } finally {
    await virtualBoard?.stop();
  }
}
