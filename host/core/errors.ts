// Typed errors: every failure a user can cause names the bad value, what is allowed, and (where there is one) the fix.
// The CLI maps them to exit codes in one place (host/cli/run.ts).

export type ErrorCode =
  | 'usage'
  | 'csv'
  | 'model'
  | 'training'
  | 'too-large'
  | 'toolchain-missing'
  | 'build-failed'
  | 'sketch-compile'
  | 'port-not-found'
  | 'port-permission'
  | 'port-busy'
  | 'not-a-serial-port'
  | 'port-vanished'
  | 'upload-failed'
  | 'board-not-ready'
  | 'hash-mismatch'
  | 'protocol'
  | 'disconnected'
  | 'verify-failed'
  | 'sim';

export class DeployNnError extends Error {
  readonly code: ErrorCode;
  /** Suggested fix, printed after the message. */
  readonly hint: string | undefined;
  constructor(code: ErrorCode, message: string, hint?: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.hint = hint;
  }
}

export class UsageError extends DeployNnError {
  constructor(message: string, hint?: string) {
    super('usage', message, hint);
  }
}

/** A CSV that cannot be read: `row` is 1-based counting the header as row 1; `column` is the header name when known. */
export class CsvError extends DeployNnError {
  readonly row: number | undefined;
  readonly column: string | undefined;
  constructor(message: string, opts: { row?: number; column?: string; hint?: string } = {}) {
    super('csv', message, opts.hint);
    this.row = opts.row;
    this.column = opts.column;
  }
}

/** A model.json that does not validate; `field` is a JSON path such as `layers[1].weights[3][0]`. */
export class ModelValidationError extends DeployNnError {
  readonly field: string;
  constructor(field: string, message: string) {
    super('model', `model.json: ${field}: ${message}`);
    this.field = field;
  }
}

export class TrainingConfigError extends DeployNnError {
  constructor(message: string, hint?: string) {
    super('training', message, hint);
  }
}

export class ModelTooLargeError extends DeployNnError {
  constructor(message: string, hint?: string) {
    super('too-large', message, hint);
  }
}

export class ToolchainMissingError extends DeployNnError {
  constructor(tool: string, hint: string) {
    super('toolchain-missing', `${tool} not found on PATH`, hint);
  }
}

export class BuildFailedError extends DeployNnError {
  readonly log: string;
  constructor(message: string, log: string) {
    super('build-failed', message);
    this.log = log;
  }
}

/** The sketch itself does not compile or link (the user's code, a library it needs): the message holds the first errors. */
export class SketchCompileError extends DeployNnError {
  readonly log: string;
  constructor(message: string, hint: string | undefined, log: string) {
    super('sketch-compile', message, hint);
    this.log = log;
  }
}

export class PortNotFoundError extends DeployNnError {
  constructor(port: string, hint?: string) {
    super('port-not-found', `serial port ${port} does not exist`, hint ?? 'check the cable and the path (ls /dev/ttyACM* /dev/ttyUSB*), or use --port sim for the virtual Uno');
  }
}

export class BoardNotReadyError extends DeployNnError {
  constructor(message: string, hint?: string) {
    super('board-not-ready', message, hint);
  }
}

export class ModelHashMismatchError extends DeployNnError {
  readonly boardHash: string;
  readonly modelHash: string;
  constructor(boardHash: string, modelHash: string) {
    super(
      'hash-mismatch',
      `the board runs model ${boardHash} but the model given is ${modelHash}`,
      'generate, build and upload this model first (deploy-nn --board ... does all three)',
    );
    this.boardHash = boardHash;
    this.modelHash = modelHash;
  }
}

export class DisconnectedError extends DeployNnError {
  constructor(message: string, hint?: string) {
    super('disconnected', message, hint);
  }
}

export class VerifyFailedError extends DeployNnError {
  constructor(message: string) {
    super('verify-failed', message);
  }
}

export class SimError extends DeployNnError {
  constructor(message: string, hint?: string) {
    super('sim', message, hint);
  }
}

/** The device exists but this user may not open it. */
export class PortPermissionError extends DeployNnError {
  readonly port: string;
  constructor(port: string, detail: string) {
    super(
      'port-permission',
      `no permission to open serial port ${port}${detail ? ` (${detail})` : ''}`,
      'add yourself to the group that owns it (usually dialout: sudo usermod -aG dialout $USER, then log out and in), or add a udev rule giving it MODE="0666"',
    );
    this.port = port;
  }
}

/** Another program has the device open (a serial monitor, another upload). */
export class PortBusyError extends DeployNnError {
  readonly port: string;
  constructor(port: string, holders: string) {
    super('port-busy', `serial port ${port} is busy: ${holders} has it open`, 'close that program (e.g. the Arduino IDE serial monitor, screen, minicom), then try again');
    this.port = port;
  }
}

/** The path is not a serial device (/dev/null, a plain file, a folder). */
export class NotASerialPortError extends DeployNnError {
  readonly port: string;
  constructor(port: string, what: string) {
    super('not-a-serial-port', `${port} is not a serial port: it is ${what}`, 'give the board\'s port (deploy-nn ports lists them, e.g. /dev/ttyACM0 or /dev/ttyUSB0), or --port auto');
    this.port = port;
  }
}

/** The board went away while in use (cable pulled, board reset into another USB device). */
export class PortVanishedError extends DeployNnError {
  readonly port: string;
  constructor(port: string, during: string) {
    super('port-vanished', `the board on ${port} vanished during ${during}`, 'check the cable and plug the board back in, then run the command again (an interrupted upload is redone from the start; the bootloader survives it)');
    this.port = port;
  }
}

/** avrdude could not write the board: no bootloader answered, or the flash did not verify. */
export class UploadFailedError extends DeployNnError {
  readonly log: string;
  constructor(message: string, hint: string, log = '') {
    super('upload-failed', message, hint);
    this.log = log;
  }
}
