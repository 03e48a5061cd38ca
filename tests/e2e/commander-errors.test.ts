// commander's own refusals are the user's input: exit 2 with a fix line, like every other bad input; help and
// --version exit 0.
import { describe, expect, it } from 'vitest';
import { runCli } from './cli.js';

describe('the command line refuses what commander refuses with exit 2', () => {
  it.each([
    [['--bogus'], "unknown option '--bogus'"],
    [['build', '--nope'], "unknown option '--nope'"],
    [['verify'], "required option '--model <file>' not specified"],
    [['nosuch'], 'too many arguments'],
  ])('deploy-nn %j', async (args, message) => {
    const r = await runCli(args);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr).toContain('fix: see `deploy-nn --help`');
  });

  it('--version and --help exit 0', async () => {
    const v = await runCli(['--version']);
    expect(v.code).toBe(0);
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    const h = await runCli(['build', '--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toContain('--board <id>');
  });
});
