// A failed compile, read for the user: the compiler's first errors as file:line, paths pointing at the user's files
// rather than the build folder's copies, and a fix line where the cause is known (a library that is not installed).
import path from 'node:path';
import type { BoardProfile } from '../core/boards.js';
import { ModelTooLargeError, SketchCompileError } from '../core/errors.js';
import { terminalSafe } from '../core/terminal.js';

/** At most this many error lines are shown; the whole log stays on the error object. */
export const MAX_ERROR_LINES = 5;

export interface CompileDiagnostic {
  readonly file: string;
  readonly line: number;
  readonly column: number | undefined;
  /** 'error' or 'fatal error' */
  readonly severity: string;
  readonly message: string;
}

const DIAGNOSTIC = /^(.+?):(\d+)(?::(\d+))?: (fatal error|error): (.*)$/;
const MISSING_HEADER = /^([\w./+-]+\.(?:h|hpp|hh)): No such file or directory$/;
const UNDEFINED_REFERENCE = /^(.+?):(?:\(.+?\)|\d+):? undefined reference to [`'](.+)'$/;

/**
 * Where a file the compiler names really is: a copy under `<buildDir>/sketch/` is the sketch folder's file of that name
 * (`foo.ino.cpp` is the sketch's `foo.ino`); paths inside `cwd` are shown relative to it.
 */
export function userPath(file: string, sketchDir: string, buildDir: string | undefined, cwd: string): string {
  let p = path.resolve(cwd, file);
  if (buildDir !== undefined) {
    const copies = path.join(path.resolve(buildDir), 'sketch') + path.sep;
    if (p.startsWith(copies)) p = path.join(sketchDir, p.slice(copies.length).replace(/\.ino\.cpp$/, '.ino'));
  }
  const rel = path.relative(cwd, p);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : p;
}

/** The error lines of a gcc/g++ log (warnings and notes left out), in order, duplicates dropped. */
export function parseCompileErrors(log: string): CompileDiagnostic[] {
  const seen = new Set<string>();
  const out: CompileDiagnostic[] = [];
  for (const raw of log.split(/\r?\n/)) {
    const m = DIAGNOSTIC.exec(raw);
    if (!m) continue;
    const d: CompileDiagnostic = {
      file: m[1]!,
      line: Number(m[2]),
      column: m[3] === undefined ? undefined : Number(m[3]),
      severity: m[4]!,
      message: m[5]!,
    };
    const key = `${d.file}:${d.line}:${d.column ?? ''}:${d.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(d);
  }
  return out;
}

/**
 * Whether a failed build is the sketch's doing: an error in a file outside the Arduino platform folder (the sketch, its
 * libraries) or a link error. Errors only inside the platform's own core mean a broken installation (environment).
 */
export function isSketchFailure(log: string, platformDir: string): boolean {
  const errors = parseCompileErrors(log);
  const platform = path.resolve(platformDir) + path.sep;
  if (errors.some((d) => !path.resolve(d.file).startsWith(platform))) return true;
  return errors.length === 0 && UNDEFINED_REFERENCE_ANYWHERE.test(log);
}

const UNDEFINED_REFERENCE_ANYWHERE = /undefined reference to /;

/** The fix for a missing header: the library's likely name and the two ways to install it. */
export function missingLibraryHint(header: string): string {
  const name = path.basename(header).replace(/\.(h|hpp|hh)$/, '');
  return (
    `${header} comes from a library that is not installed: install "${name}" (or the library that provides ${header}) ` +
    'with the Arduino IDE Library Manager (Sketch > Include Library > Manage Libraries...), or put its folder in a ' +
    'libraries folder and give it with --libraries DIR (default: ~/Arduino/libraries)'
  );
}

export interface CompileFailureContext {
  readonly sketchDir: string;
  /** The build folder whose sketch/ copies should be mapped back to the sketch folder. */
  readonly buildDir?: string | undefined;
  readonly board: BoardProfile;
  readonly cwd?: string;
}

/**
 * The typed error for a compiler log: up to MAX_ERROR_LINES errors as `file:line:col: error: message`, escaped for
 * the terminal, and a fix line when one is known. Linker errors (undefined references) are shown as such.
 */
export function compileFailure(log: string, ctx: CompileFailureContext): SketchCompileError {
  const cwd = ctx.cwd ?? process.cwd();
  const errors = parseCompileErrors(log);
  const shown = errors.slice(0, MAX_ERROR_LINES).map((d) => {
    const where = `${userPath(d.file, ctx.sketchDir, ctx.buildDir, cwd)}:${d.line}${d.column === undefined ? '' : `:${d.column}`}`;
    return `  ${where}: ${d.severity}: ${d.message}`;
  });
  const lines = log.split(/\r?\n/);
  if (shown.length === 0) {
    const undefinedRefs = lines.map((l) => UNDEFINED_REFERENCE.exec(l)).filter((m): m is RegExpExecArray => m !== null);
    for (const m of undefinedRefs.slice(0, MAX_ERROR_LINES)) shown.push(`  link error: undefined reference to ${m[2]}`);
  }
  if (shown.length === 0) {
    const other = lines.filter((l) => /error|overflow|too big|not within region/i.test(l) && !/^exit status/.test(l));
    shown.push(...other.slice(0, MAX_ERROR_LINES).map((l) => `  ${l.trim()}`));
  }
  if (errors.length > MAX_ERROR_LINES) shown.push(`  ... and ${errors.length - MAX_ERROR_LINES} more`);
  const missing = errors.map((d) => MISSING_HEADER.exec(d.message)).find((m) => m !== null);
  let hint: string | undefined;
  if (missing) hint = missingLibraryHint(missing[1]!);
  else if (shown.some((l) => /was not declared in this scope/.test(l))) {
    hint = 'declare or define the name before its use, or check the spelling; a library it belongs to must be #included';
  }
  const head = `the sketch ${path.basename(ctx.sketchDir)} does not compile for the ${ctx.board.name} (${ctx.board.id})`;
  return new SketchCompileError(terminalSafe([`${head}:`, ...shown].join('\n')), hint === undefined ? undefined : terminalSafe(hint), log);
}

export const FLASH_FIX = 'make the sketch or its model smaller (fewer or narrower layers), or pick a board with more flash';
export const SRAM_FIX = 'use smaller buffers and F("...") for strings, or pick a board with more SRAM';

/**
 * The linker's "does not fit" messages as a size refusal (the user's input, like the estimate before generating):
 * `region 'text' overflowed by N bytes`, or a section "not within region" text/data.
 */
export function linkerSizeError(log: string, board: BoardProfile): ModelTooLargeError | undefined {
  const over = /region [`'](text|data)' overflowed by (\d+) bytes/.exec(log);
  if (over?.[1] === 'text') {
    return new ModelTooLargeError(`the sketch needs ${over[2]} bytes more flash than the ${board.name} (${board.id}) has (${board.flashBytes})`, FLASH_FIX);
  }
  if (over?.[1] === 'data') {
    return new ModelTooLargeError(`the sketch's static data needs ${over[2]} bytes more SRAM than the ${board.name} (${board.id}) has (${board.sramBytes})`, SRAM_FIX);
  }
  const outside = /section [`'](\.\w+)' is not within region [`'](text|data)'/.exec(log);
  if (outside?.[2] === 'text') {
    return new ModelTooLargeError(`the sketch does not fit the ${board.flashBytes} bytes of flash of the ${board.name} (${board.id})`, FLASH_FIX);
  }
  if (outside?.[2] === 'data') {
    return new ModelTooLargeError(
      `the sketch's static data (${outside[1]}) does not fit the ${board.sramBytes} bytes of SRAM of the ${board.name} (${board.id})`,
      SRAM_FIX,
    );
  }
  return undefined;
}
