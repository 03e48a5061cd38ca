// Hand-written sketch folders for the user-sketch tests: written from a map of file name -> text.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** <tmp>/<name>/ holding `files` (names may contain one level of folders, e.g. src/x.cpp). */
export function sketchFolder(name: string, files: Record<string, string>, parent?: string): { dir: string; name: string } {
  const dir = path.join(parent ?? mkdtempSync(path.join(tmpdir(), 'nn-user-')), name);
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  }
  return { dir, name };
}

/**
 * A sketch as the Arduino IDE takes it and a plain C++ compiler does not: a helper called in setup() and defined after
 * loop() (no prototype), a second .ino tab, .h/.cpp/.c tabs, and the core's bundled libraries.
 */
export function multiTabSketch(name = 'my-sketch'): { dir: string; name: string } {
  return sketchFolder(name, {
    [`${name}.ino`]: [
      '#include <Wire.h>',
      '#include <SPI.h>',
      '#include <EEPROM.h>',
      '#include <SoftwareSerial.h>',
      '#include "config.h"',
      'SoftwareSerial soft(10, 11);',
      'void setup() {',
      '  Serial.begin(115200);',
      '  Wire.begin();',
      '  SPI.begin();',
      '  soft.begin(9600);',
      '  EEPROM.update(0, 42);',
      '  Serial.println(answer() + tab_value() + cpp_value() + c_value());',
      '}',
      'void loop() {}',
      'int answer() { return EEPROM.read(0) - ANSWER_OFFSET; }',
      '',
    ].join('\n'),
    'second_tab.ino': 'int tab_value() { return helper_in_tab(); }\nint helper_in_tab() { return 1; }\n',
    'config.h': '#define ANSWER_OFFSET 2\nint cpp_value();\nextern "C" int c_value(void);\n',
    'values.cpp': '#include "config.h"\nint cpp_value() { return 10; }\n',
    'cvalue.c': 'int c_value(void) { return 100; }\n',
  });
}

/** Whether arduino-builder is installed: the user-sketch build tier is skipped without it. */
export const hasArduinoBuilder = (() => {
  try {
    execFileSync('arduino-builder', ['-version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
