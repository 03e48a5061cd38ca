// Options of the benchmark scripts: the value after a `--flag` in process.argv.

/** The word after `flag` (e.g. `--rows`) on the command line, or undefined when the flag is absent or last. */
export function argValue(flag: string): string | undefined {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
