// Printing results: text for people, or one JSON document on stdout with --json.

export interface OutputOptions {
  /** Print one JSON document on stdout instead of text (default false). */
  readonly json: boolean;
}

/** Progress and notes go to stderr so stdout stays clean for --json; silent with --json. */
export function note(opts: OutputOptions, text: string): void {
  if (!opts.json) process.stderr.write(`${text}\n`);
}

export function emit(opts: OutputOptions, data: unknown, text: () => string): void {
  if (opts.json) process.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
  else process.stdout.write(`${text()}\n`);
}
