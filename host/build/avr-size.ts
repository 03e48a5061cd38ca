// Real sizes of a built firmware, from `avr-size -A`: flash = .text + .data, static RAM = .data + .bss.
import { run } from './exec.js';

export interface SectionSizes {
  readonly text: number;
  readonly data: number;
  readonly bss: number;
}

/** Parse `avr-size -A` output (lines "section size addr"). */
export function parseAvrSize(output: string): SectionSizes {
  const size = (name: string): number => {
    const m = new RegExp(`^\\${name}\\s+(\\d+)`, 'm').exec(output);
    return m ? Number(m[1]) : 0;
  };
  return { text: size('.text'), data: size('.data'), bss: size('.bss') };
}

export async function readSectionSizes(elfPath: string, avrSize = 'avr-size'): Promise<SectionSizes> {
  const { stdout } = await run(avrSize, ['-A', elfPath], { what: 'avr-size' });
  return parseAvrSize(stdout);
}
