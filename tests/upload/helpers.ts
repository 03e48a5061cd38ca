// Virtual boards with a bootloader for the upload tests: started in the test process, always stopped (no socat left).
import { findBootloader } from '../../host/sim/boot.js';
import { startVirtualBoard } from '../../host/sim/virtual-board.js';
import type { VirtualBoard } from '../../host/sim/virtual-board.js';
import { getBoard } from '../../host/core/boards.js';

const running = new Set<VirtualBoard>();

/** A virtual board booting `bootloader` (default the board's first), with erased flash or `hexPath` as its sketch. */
export async function bootloaderBoard(boardId: string, bootloader?: string, hexPath?: string): Promise<VirtualBoard> {
  const board = getBoard(boardId);
  const vb = await startVirtualBoard({ board, bootloader: findBootloader(board, bootloader), hexPath });
  running.add(vb);
  return vb;
}

/** Stop every board started here (call in afterEach/afterAll). */
export async function stopBoards(): Promise<void> {
  for (const vb of [...running]) {
    running.delete(vb);
    await vb.stop();
  }
}
