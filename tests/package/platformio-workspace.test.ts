// PlatformIO never writes beside platformio.ini (the package folder, read-only once installed): its workspace goes to
// the user cache. Unit test with a stand-in `pio` on PATH that records how it was called (no PlatformIO needed).
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWithPlatformio, uploadWithPlatformio } from '../../host/build/platformio.js';
import { getBoard } from '../../host/core/boards.js';
import { PACKAGE_ROOT } from '../../host/core/paths.js';

describe('PlatformIO workspace', () => {
  let tmp: string;
  const saved = { PATH: process.env.PATH, XDG_CACHE_HOME: process.env.XDG_CACHE_HOME };

  beforeAll(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'deploy-nn-pio-'));
    // Records its arguments and the PLATFORMIO_* variables, one call per line.
    writeFileSync(
      path.join(tmp, 'pio'),
      `#!/bin/sh\necho "$* | ws=$PLATFORMIO_WORKSPACE_DIR | src=$PLATFORMIO_SRC_DIR" >> "${tmp}/calls"\n`,
    );
    chmodSync(path.join(tmp, 'pio'), 0o755);
    process.env.PATH = `${tmp}${path.delimiter}${saved.PATH}`;
    process.env.XDG_CACHE_HOME = path.join(tmp, 'cache');
  });

  afterAll(() => {
    process.env.PATH = saved.PATH;
    if (saved.XDG_CACHE_HOME === undefined) delete process.env.XDG_CACHE_HOME;
    else process.env.XDG_CACHE_HOME = saved.XDG_CACHE_HOME;
    rmSync(tmp, { recursive: true, force: true });
  });

  it('builds and uploads with the workspace in the user cache, the package folder only read', async () => {
    const board = getBoard('uno');
    const ws = path.join(tmp, 'cache', 'deploy-nn', 'platformio');
    const built = await buildWithPlatformio({ dir: '/some/sketch', name: 'sketch' }, board);
    expect(built.hexPath).toBe(path.join(ws, 'build', 'uno', 'firmware.hex'));
    await uploadWithPlatformio(board, '/dev/ttyACM0');
    const calls = readFileSync(path.join(tmp, 'calls'), 'utf8').trim().split('\n');
    expect(calls).toEqual([
      `run -d ${PACKAGE_ROOT} -e uno | ws=${ws} | src=/some/sketch`,
      `run -d ${PACKAGE_ROOT} -e uno -t nobuild -t upload --upload-port /dev/ttyACM0 | ws=${ws} | src=`,
    ]);
  });
});
