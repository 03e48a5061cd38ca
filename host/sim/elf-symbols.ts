// Reads symbol addresses from an AVR ELF (the .elf beside the .hex) so the simulator can report static data size.
import { SimError } from '../core/errors.js';

/** Symbol name -> value from the ELF32 little-endian symbol table (.symtab). Throws SimError if not an ELF32 LE file. */
export function readElfSymbols(elf: Uint8Array, source = '<elf>'): Map<string, number> {
  const view = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
  if (elf.length < 52 || view.getUint32(0) !== 0x7f454c46 || elf[4] !== 1 || elf[5] !== 1) {
    throw new SimError(`${source}: not a 32-bit little-endian ELF file`, 'give the .elf written by avr-gcc');
  }
  const shoff = view.getUint32(32, true);
  const shentsize = view.getUint16(46, true);
  const shnum = view.getUint16(48, true);
  const section = (i: number) => {
    const o = shoff + i * shentsize;
    return { type: view.getUint32(o + 4, true), offset: view.getUint32(o + 16, true), size: view.getUint32(o + 20, true), link: view.getUint32(o + 24, true) };
  };
  const symbols = new Map<string, number>();
  for (let i = 0; i < shnum; i++) {
    const s = section(i);
    if (s.type !== 2) continue; // SHT_SYMTAB
    const strtab = section(s.link);
    for (let o = s.offset; o + 16 <= s.offset + s.size; o += 16) {
      const nameAt = strtab.offset + view.getUint32(o, true);
      let end = nameAt;
      while (end < elf.length && elf[end] !== 0) end++;
      const name = Buffer.from(elf.subarray(nameAt, end)).toString('latin1');
      if (name) symbols.set(name, view.getUint32(o + 4, true));
    }
  }
  return symbols;
}

/** The first address above static data (__heap_start, else __bss_end), in data-space addressing (0x800000 offset removed); undefined if neither symbol is present. */
export function staticDataEnd(symbols: Map<string, number>): number | undefined {
  const v = symbols.get('__heap_start') ?? symbols.get('__bss_end');
  return v === undefined ? undefined : v & 0xffff;
}
