// The typed artefacts handed between pipeline stages: data.csv -> Dataset -> ModelFile -> GeneratedSketch -> BuildResult -> ComparisonReport.
import type { Task } from './model.js';

/** A table of examples, validated: every cell finite, every row the same width. */
export interface Dataset {
  readonly name: string;
  readonly inputNames: readonly string[];
  /** Name of the label (target) column. */
  readonly targetName: string;
  readonly task: Task;
  /** classification/binary: class names, index = class id (for binary: [negative, positive]); regression: []. */
  readonly classes: readonly string[];
  /** One array of input values per example. */
  readonly inputs: readonly (readonly number[])[];
  /** Class id per example (classification/binary) or target value (regression). */
  readonly targets: readonly number[];
}

/** What `generate` wrote: an Arduino sketch folder (opens in the Arduino IDE) plus the user-includable header. */
export interface GeneratedSketch {
  /** Sketch name (folder and .ino base name), a valid C identifier. */
  readonly name: string;
  /** Absolute path of the sketch folder. */
  readonly dir: string;
  /** Absolute path of <dir>/<name>.ino. */
  readonly inoPath: string;
  /** Every file written, absolute paths. */
  readonly files: readonly string[];
  readonly boardId: string;
  readonly modelHash: string;
}

/** Flash and SRAM estimated before building, by part, so a refusal can name what to shrink. */
export interface SizeEstimate {
  readonly boardId: string;
  readonly flashBytes: number;
  readonly sramBytes: number;
  readonly flashLimit: number;
  readonly sramLimit: number;
  /** Bytes the estimate keeps free for the stack. */
  readonly stackReserve: number;
  readonly parts: readonly { readonly part: string; readonly flashBytes: number; readonly sramBytes: number }[];
}

/** A built firmware image and its real size (from avr-size). */
export interface BuildResult {
  readonly boardId: string;
  readonly toolchain: 'builtin' | 'arduino-builder' | 'platformio';
  readonly hexPath: string;
  readonly elfPath: string;
  /** .text + .data */
  readonly flashBytes: number;
  /** .data + .bss (static RAM; the stack comes on top) */
  readonly sramBytes: number;
  readonly flashLimit: number;
  readonly sramLimit: number;
  readonly modelHash: string;
}
