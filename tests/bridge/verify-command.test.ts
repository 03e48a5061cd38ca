// verify's option checks and typed errors, before any board is involved.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { verify } from '../../host/cli/commands/verify.js';
import type { VerifyOptions } from '../../host/cli/commands/verify.js';
import { PortNotFoundError, UsageError } from '../../host/core/errors.js';
import { exitCodeFor } from '../../host/cli/run.js';
import { serializeModel } from '../../host/model/model-file.js';
import { makeModel } from './fixtures.js';

const dir = mkdtempSync(path.join(tmpdir(), 'verify-'));
const model = makeModel([4, 6, 3]);
const modelPath = path.join(dir, 'model.json');
writeFileSync(modelPath, serializeModel(model));
const dataPath = path.join(dir, 'data.csv');
writeFileSync(dataPath, 'x0,x1,x2,x3\n1,2,3,4\n');
const base: VerifyOptions = { model: modelPath, port: path.join(dir, 'ttyNONE'), data: dataPath, board: 'uno', realtime: false, json: true };

describe('deploy-nn verify: refusals', () => {
  it.each([
    ['a serial port that does not exist', {}, PortNotFoundError, /serial port .*ttyNONE does not exist/, 3],
    ['an unknown board', { board: 'esp32' }, UsageError, /unknown board "esp32"/, 2],
    ['a model file that does not exist', { model: path.join(dir, 'nope.json') }, UsageError, /cannot read the model .*nope\.json: ENOENT/, 2],
    ['a data file that does not exist', { data: path.join(dir, 'nope.csv') }, UsageError, /data file .*nope\.csv does not exist/, 2],
    ['a timeout that is not a whole number', { timeout: '1.5s' }, UsageError, /--timeout 1\.5s is not a whole number/, 2],
    ['the virtual board without firmware', { port: 'sim', hex: path.join(dir, 'none.hex') }, UsageError, /no firmware at .*none\.hex: the file does not exist/, 2],
    ['the virtual board for a board it cannot run', { port: 'sim', board: 'leonardo' }, UsageError, /cannot run leonardo/, 2],
  ] as const)('%s', async (_name, over, type, message, exit) => {
    const err = await verify({ ...base, ...over }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(type);
    expect((err as Error).message).toMatch(message);
    expect(exitCodeFor(err)).toBe(exit);
  });
});
