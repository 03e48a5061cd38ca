// Text from files and tools made safe for a terminal: control characters (escape sequences, bells, carriage returns)
// are shown as \xNN, so a compiler message or a file name cannot move the cursor or recolour the screen.

/** `text` with every C0/C1 control character except newline and tab written as \xNN (a backslash stays as it is). */
export function terminalSafe(text: string): string {
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
