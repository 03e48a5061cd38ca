// The train and example commands through commander: options validated into typed values, output, files, exit codes.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCommands } from '../cli-in-process.js';
import type { InProcessRun } from '../cli-in-process.js';
import { registerExample } from '../../host/cli/commands/example.js';
import { registerTrain } from '../../host/cli/commands/train.js';
import { parseModel } from '../../host/model/model-file.js';

const dir = mkdtempSync(path.join(tmpdir(), 'deploy-nn-train-cli-'));

function run(...args: string[]): Promise<InProcessRun> {
  return runCommands([registerTrain, registerExample], args);
}

afterEach(() => {
  process.exitCode = 0;
});

describe('deploy-nn train', () => {
  it('trains a built-in data set to model.json and prints the evaluation as JSON', async () => {
    const out = path.join(dir, 'iris.json');
    const r = await run('train', '--dataset', 'iris', '--epochs', '40', '--hidden', '6', '--seed', '3', '--json', '--out', out);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    const model = parseModel(readFileSync(out, 'utf8'));
    expect(doc.hash).toBe(model.hash);
    expect(doc.evaluation.confusion).toHaveLength(3);
    expect(model.training).toMatchObject({ seed: 3, epochs: 40, hidden: [6] });
    // Same seed, same bytes, through the command line.
    const again = path.join(dir, 'iris2.json');
    await run('train', '--dataset', 'iris', '--epochs', '40', '--hidden', '6', '--seed', '3', '--json', '--out', again);
    expect(readFileSync(again, 'utf8')).toBe(readFileSync(out, 'utf8'));
  });

  it('trains a CSV with --label and prints a confusion table as text', async () => {
    const csv = path.join(dir, 'toy.csv');
    writeFileSync(csv, ['kind;a;b', ...Array.from({ length: 40 }, (_v, i) => `${i % 2 ? 'odd' : 'even'};${i % 2},${i};${(i * 7) % 5}`)].join('\r\n'));
    const out = path.join(dir, 'toy.json');
    const r = await run('train', '--data', csv, '--label', 'kind', '--epochs', '30', '--out', out);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('actual \\ predicted');
    expect(r.stdout).toContain(`wrote ${out}`);
    const m = parseModel(readFileSync(out, 'utf8'));
    expect(m.name).toBe('toy');
    expect(m.task).toBe('binary');
    expect(m.inputNames).toEqual(['a', 'b']);
    expect(m.training['targetColumn']).toBe('kind');
  });

  const bad: [string[], string][] = [
    [['--dataset', 'iris', '--epochs', '0'], 'deploy-nn: epochs must be a whole number >= 1, got 0'],
    [['--dataset', 'iris', '--epochs', 'ten'], 'deploy-nn: --epochs "ten" is not a whole number'],
    [['--dataset', 'iris', '--hidden', '8,0'], 'deploy-nn: hidden layer 2 has width 0; each width must be a whole number >= 1'],
    [['--dataset', 'iris', '--activation', 'swish'], 'deploy-nn: unknown activation "swish"; allowed: linear, sigmoid, tanh, relu'],
    [['--dataset', 'iris', '--optimizer', 'rmsprop'], 'deploy-nn: unknown optimizer "rmsprop"; allowed: sgd, momentum, adam'],
    [['--dataset', 'iris', '--normalize', 'log'], 'deploy-nn: unknown normalization "log"; allowed: zscore, minmax, none'],
    [['--dataset', 'iris', '--target-accuracy', '150'], 'deploy-nn: --target-accuracy 150 is out of range'],
    [['--dataset', 'mnist'], 'deploy-nn: unknown data set "mnist"'],
    [[], 'deploy-nn: give exactly one of --data FILE.csv or --dataset NAME'],
    [['--data', '/nonexistent/x.csv'], 'deploy-nn: cannot read /nonexistent/x.csv: ENOENT'],
  ];
  for (const [args, first] of bad) {
    it(`refuses ${args.join(' ') || '(no data)'}`, async () => {
      const r = await run('train', ...args, '--out', path.join(dir, 'never.json'));
      expect(r.code).toBe(2);
      expect(r.stderr.split('\n')[0]).toBe(first);
    });
  }
});

describe('deploy-nn example', () => {
  it('hinge --json reaches 100%', async () => {
    const r = await run('example', 'hinge', '--json');
    const doc = JSON.parse(r.stdout);
    expect(doc.reached).toBe(true);
    expect(doc.evaluation.accuracy).toBe(1);
  });
  it('bits prints starting weights, progress, final weights and each case', async () => {
    const r = await run('example', 'bits');
    expect(r.code).toBe(0);
    for (const s of ['starting weights:', 'final weights:', 'case    output      expected  difference', 'target reached']) expect(r.stdout).toContain(s);
    expect(r.stdout.split('\n').filter((l) => /^[01] [01] [01] /.test(l))).toHaveLength(8);
  });
  it('an unknown example lists the three', async () => {
    const r = await run('example', 'xor');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown example "xor"');
    expect(r.stderr).toContain('hinge, bits, digits');
  });
});
