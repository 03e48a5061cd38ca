// Self-programming (SPM) for the emulated AVR: the temporary page buffer, page erase, page write and RWW re-enable,
// which avr8js leaves unimplemented (it runs SPM as a NOP). Bootloaders write flash with it.
import type { CPU } from 'avr8js';
import { RAMPZ, SPMCSR } from './chips.js';

/** SPMCSR bits (datasheet names). */
const SPMEN = 0x01;
const PGERS = 0x02;
const PGWRT = 0x04;
const RWWSRE = 0x10;
const RWWSB = 0x40;
/** SPM and SPM Z+ opcodes. */
const OP_SPM = 0x95e8;
const OP_SPM_ZINC = 0x95f8;

export interface SpmOptions {
  /** The chip's whole flash (shared with the CPU's program memory, so writes are seen at once and survive resets). */
  readonly flash: Uint8Array;
  readonly pageBytes: number;
  /** BOOTRST byte address: SPM only runs from here up, and never erases or writes here (the lock bits of a real board). */
  readonly bootStart: number;
  /** No-read-while-write section start: erasing or writing a page below it sets RWWSB until RWWSRE. */
  readonly nrwwStart: number;
  /** Cycles an erase or write keeps SPMEN set (the datasheet's 3.7-4.5 ms). */
  readonly busyCycles: number;
}

export interface SpmCounts {
  readonly erases: number;
  readonly writes: number;
  /** Erases and writes refused because they aimed at the boot section. */
  readonly refused: number;
}

/**
 * The SPM unit of one chip. `attach(cpu)` after each reset installs the SPMCSR hooks; the run loop calls
 * `beforeInstruction(cpu)` while `armed` (a write to SPMCSR opened the 4-cycle window) so SPM acts before avr8js
 * steps over it as a NOP. The page buffer and the counts live across resets; the flash is the caller's.
 */
export class SpmUnit {
  /** True while an SPMCSR write's 4-cycle window is open. */
  armed = false;
  private armedUntil = 0;
  private mode = 0;
  private busyUntil = 0;
  private rwwBusy = false;
  private readonly buffer: Uint8Array;
  private counts = { erases: 0, writes: 0, refused: 0 };

  constructor(private readonly opts: SpmOptions) {
    this.buffer = new Uint8Array(opts.pageBytes).fill(0xff);
  }

  get stats(): SpmCounts {
    return { ...this.counts };
  }

  /** Install the SPMCSR read/write hooks on a freshly built CPU (a reset ends any operation in progress). */
  attach(cpu: CPU): void {
    this.armed = false;
    this.busyUntil = 0;
    this.rwwBusy = false;
    this.buffer.fill(0xff);
    cpu.writeHooks[SPMCSR] = (value) => {
      cpu.data[SPMCSR] = value & ~RWWSB;
      if (value & SPMEN) {
        this.armed = true;
        this.armedUntil = cpu.cycles + 4;
        this.mode = value;
      }
      return true;
    };
    cpu.readHooks[SPMCSR] = () => {
      let v = cpu.data[SPMCSR]! & ~(SPMEN | RWWSB);
      if (cpu.cycles < this.busyUntil || (this.armed && cpu.cycles <= this.armedUntil)) v |= SPMEN;
      else v &= ~0x1f; // the command bits clear when the operation ends
      if (this.rwwBusy) v |= RWWSB;
      return v;
    };
  }

  /** Run SPM if the instruction at PC is one (the run loop then lets avr8js step over it). */
  beforeInstruction(cpu: CPU): void {
    if (cpu.cycles > this.armedUntil) {
      this.armed = false;
      return;
    }
    const op = cpu.progMem[cpu.pc];
    if (op !== OP_SPM && op !== OP_SPM_ZINC) return;
    this.armed = false;
    if (cpu.pc * 2 < this.opts.bootStart) return; // SPM only works from the boot section
    const { flash, pageBytes, bootStart, nrwwStart, busyCycles } = this.opts;
    const rampz = flash.length > 0x1_0000 ? cpu.data[RAMPZ]! : 0;
    const z = (rampz << 16) | cpu.data[30]! | (cpu.data[31]! << 8);
    const page = (z & ~(pageBytes - 1)) % flash.length;
    const mode = this.mode & (SPMEN | PGERS | PGWRT | RWWSRE | 0x08);
    if (mode === (PGERS | SPMEN) || mode === (PGWRT | SPMEN)) {
      if (page >= bootStart) {
        this.counts.refused++;
      } else if (mode & PGERS) {
        flash.fill(0xff, page, page + pageBytes);
        this.counts.erases++;
      } else {
        for (let i = 0; i < pageBytes; i++) flash[page + i]! &= this.buffer[i]!;
        this.buffer.fill(0xff);
        this.counts.writes++;
      }
      this.busyUntil = cpu.cycles + busyCycles;
      if (page < nrwwStart) this.rwwBusy = true;
    } else if (mode === (RWWSRE | SPMEN)) {
      this.rwwBusy = false;
      this.buffer.fill(0xff);
    } else if (mode === SPMEN) {
      const at = z & (pageBytes - 2);
      this.buffer[at] = cpu.data[0]!;
      this.buffer[at + 1] = cpu.data[1]!;
    }
    if (op === OP_SPM_ZINC) {
      const next = (z + 2) & 0xff_ffff;
      cpu.data[30] = next & 0xff;
      cpu.data[31] = (next >> 8) & 0xff;
      if (flash.length > 0x1_0000) cpu.data[RAMPZ] = next >> 16;
    }
  }
}
