// The tools deploy-nn uses from the machine, as data: how to find each, what installs it, and which stages need it.
// The one list: `deploy-nn doctor` probes it, scripts/setup.sh installs from it (`doctor --apt`), errors quote it.

export type ToolId =
  | 'node'
  | 'avr-gcc'
  | 'avr-libc'
  | 'avr-size'
  | 'arduino-core'
  | 'arduino-builder'
  | 'platformio'
  | 'avrdude'
  | 'socat'
  | 'chromium'
  | 'strace'
  | 'unzip'
  | 'arm-none-eabi-gcc'
  | 'qemu-arm';

/** How a tool is found and its version read. */
export type ToolProbe =
  /** The Node running deploy-nn, against package.json's engines.node. */
  | { readonly kind: 'node' }
  /** The first of `commands` on PATH; `args` prints a version that `version` captures (group 1), on stdout or stderr. */
  | { readonly kind: 'command'; readonly commands: readonly string[]; readonly args: readonly string[]; readonly version: RegExp }
  /** avr-libc as avr-gcc sees it: its avr/version.h. */
  | { readonly kind: 'avr-libc' }
  /** The Arduino AVR platform folder (cores/arduino/Arduino.h; version from platform.txt). */
  | { readonly kind: 'arduino-core' };

export interface ToolSpec {
  readonly id: ToolId;
  /** What the user sees, e.g. "avr-gcc" or "Arduino AVR core". */
  readonly name: string;
  readonly probe: ToolProbe;
  /** Debian/Ubuntu packages that provide it (empty: none does). */
  readonly debian: readonly string[];
  /** How to get it when no Debian package does (Node). */
  readonly otherInstall?: string;
  /** What PlatformIO offers instead, or undefined when it offers nothing. */
  readonly platformio?: string;
}

const PIO_TOOLCHAIN = 'pipx install platformio: PlatformIO downloads its own avr-gcc, avr-libc and Arduino core on the first build';

export const TOOLS: readonly ToolSpec[] = [
  {
    id: 'node',
    name: 'Node.js',
    probe: { kind: 'node' },
    debian: [],
    otherInstall: 'install Node.js from https://nodejs.org (or NodeSource\'s Debian packages, or nvm)',
  },
  {
    id: 'avr-gcc',
    name: 'avr-gcc',
    probe: { kind: 'command', commands: ['avr-gcc'], args: ['--version'], version: /avr-gcc[^\n]*?(\d+\.\d+(?:\.\d+)?)/ },
    debian: ['gcc-avr'],
    platformio: PIO_TOOLCHAIN,
  },
  {
    id: 'avr-libc',
    name: 'avr-libc',
    probe: { kind: 'avr-libc' },
    debian: ['avr-libc'],
    platformio: PIO_TOOLCHAIN,
  },
  {
    id: 'avr-size',
    name: 'avr-size (binutils-avr)',
    probe: { kind: 'command', commands: ['avr-size'], args: ['--version'], version: /GNU size[^\n]*?(\d+\.\d+(?:\.\d+)?)/ },
    debian: ['binutils-avr'],
    platformio: PIO_TOOLCHAIN,
  },
  {
    id: 'arduino-core',
    name: 'Arduino AVR core',
    probe: { kind: 'arduino-core' },
    debian: ['arduino-core-avr'],
    platformio: PIO_TOOLCHAIN,
  },
  {
    id: 'arduino-builder',
    name: 'arduino-builder',
    probe: { kind: 'command', commands: ['arduino-builder'], args: ['-version'], version: /Arduino Builder (\d+\.\d+(?:\.\d+)?)/ },
    debian: ['arduino-builder'],
    platformio: PIO_TOOLCHAIN,
  },
  {
    id: 'platformio',
    name: 'PlatformIO (pio)',
    probe: { kind: 'command', commands: ['pio', 'platformio'], args: ['--version'], version: /version (\d+\.\d+(?:\.\d+)?)/ },
    debian: [],
    otherInstall: 'pipx install platformio (or the installer script from https://platformio.org)',
  },
  {
    id: 'avrdude',
    name: 'avrdude',
    probe: { kind: 'command', commands: ['avrdude'], args: ['-?'], version: /avrdude version (\d+\.\d+(?:\.\d+)?)/i },
    debian: ['avrdude'],
    platformio: 'PlatformIO uploads with its own avrdude (deploy-nn upload when building with --toolchain platformio)',
  },
  {
    id: 'socat',
    name: 'socat',
    probe: { kind: 'command', commands: ['socat'], args: ['-V'], version: /socat version (\d+\.\d+(?:\.\d+)*)/ },
    debian: ['socat'],
  },
  {
    id: 'chromium',
    name: 'Chromium',
    probe: { kind: 'command', commands: ['chromium', 'chromium-browser'], args: ['--version'], version: /Chromium (\d+(?:\.\d+)*)/ },
    debian: ['chromium'],
  },
  {
    id: 'strace',
    name: 'strace',
    probe: { kind: 'command', commands: ['strace'], args: ['-V'], version: /strace -- version (\d+\.\d+(?:\.\d+)?)/ },
    debian: ['strace'],
  },
  {
    id: 'unzip',
    name: 'unzip',
    probe: { kind: 'command', commands: ['unzip'], args: ['-v'], version: /UnZip (\d+\.\d+)/ },
    debian: ['unzip'],
  },
  {
    id: 'arm-none-eabi-gcc',
    name: 'arm-none-eabi-gcc (with newlib)',
    probe: { kind: 'command', commands: ['arm-none-eabi-gcc'], args: ['--version'], version: /arm-none-eabi-gcc[^\n]*?(\d+\.\d+(?:\.\d+)?)/ },
    debian: ['gcc-arm-none-eabi', 'libnewlib-arm-none-eabi'],
  },
  {
    id: 'qemu-arm',
    name: 'qemu-arm',
    probe: { kind: 'command', commands: ['qemu-arm'], args: ['--version'], version: /qemu-arm version (\d+\.\d+(?:\.\d+)?)/ },
    debian: ['qemu-user'],
  },
];

/** One way to get a stage done: every tool in `needs` present. */
export interface StageRoute {
  readonly via: string;
  readonly needs: readonly ToolId[];
}

export type StageId = 'run' | 'build' | 'sim' | 'upload' | 'dashboard-tests' | 'package-tests' | 'export-tests' | 'parity-tests';

export interface StageSpec {
  readonly id: StageId;
  readonly what: string;
  /** Any one route is enough. */
  readonly routes: readonly StageRoute[];
  /** Part of the main job, `deploy-nn --board uno` (train, build, verify on the virtual board). */
  readonly mainJob: boolean;
}

export const STAGES: readonly StageSpec[] = [
  { id: 'run', what: 'train, generate, verify, monitor', routes: [{ via: 'Node.js', needs: ['node'] }], mainJob: true },
  {
    id: 'build',
    what: 'build the firmware',
    routes: [
      { via: 'built-in avr-gcc', needs: ['avr-gcc', 'avr-libc', 'avr-size', 'arduino-core'] },
      { via: 'arduino-builder', needs: ['arduino-builder', 'avr-gcc', 'avr-libc', 'avr-size', 'arduino-core'] },
      { via: 'PlatformIO', needs: ['platformio'] },
    ],
    mainJob: true,
  },
  { id: 'sim', what: 'the virtual board', routes: [{ via: 'socat', needs: ['socat'] }], mainJob: true },
  {
    id: 'upload',
    what: 'upload to a real board',
    routes: [
      { via: 'avrdude', needs: ['avrdude'] },
      { via: 'PlatformIO', needs: ['platformio'] },
    ],
    mainJob: false,
  },
  { id: 'dashboard-tests', what: 'the dashboard tests (npm test)', routes: [{ via: 'Chromium', needs: ['chromium'] }], mainJob: false },
  {
    id: 'package-tests',
    what: 'the package test\'s write check (npm test)',
    routes: [{ via: 'strace', needs: ['strace'] }],
    mainJob: false,
  },
  {
    id: 'export-tests',
    what: 'the library .zip check (npm test)',
    routes: [{ via: 'unzip', needs: ['unzip'] }],
    mainJob: false,
  },
  {
    id: 'parity-tests',
    what: 'the float-parity tests on other chips (npm test): Cortex-M4F build, qemu-arm run',
    routes: [{ via: 'arm-none-eabi-gcc and qemu-arm', needs: ['arm-none-eabi-gcc', 'qemu-arm'] }],
    mainJob: false,
  },
];

export function getTool(id: ToolId): ToolSpec {
  const tool = TOOLS.find((t) => t.id === id);
  if (!tool) throw new Error(`no tool ${id} in TOOLS`);
  return tool;
}

/** The Debian/Ubuntu line that installs these tools (those with a package), e.g. `sudo apt-get install gcc-avr socat`. */
export function aptInstallLine(ids: readonly ToolId[]): string {
  const pkgs = [...new Set(ids.flatMap((id) => getTool(id).debian))];
  return `sudo apt-get install ${pkgs.join(' ')}`;
}
