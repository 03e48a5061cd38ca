// The doctor's verdict from the probes (pure): each tool's state and install lines, each stage's working routes, and
// whether the main job (`deploy-nn --board uno`: train, build, verify on the virtual board) can run.
import { STAGES, TOOLS, aptInstallLine, getTool } from '../core/tools.js';
import type { StageSpec, ToolId, ToolSpec } from '../core/tools.js';
import type { ProbeResult } from './probe.js';

/** The command the verdict is about. */
export const MAIN_JOB = 'deploy-nn --board uno';

export interface ToolInstall {
  /** e.g. `sudo apt-get install gcc-avr`, or null when no Debian package provides the tool. */
  readonly debian: string | null;
  /** Another way to get it (Node, PlatformIO itself), or null. */
  readonly other: string | null;
  /** What PlatformIO offers instead, or null when it offers nothing. */
  readonly platformio: string | null;
}

export interface ToolReport extends ProbeResult {
  readonly id: ToolId;
  readonly name: string;
  readonly install: ToolInstall;
}

export interface StageReport {
  readonly id: StageSpec['id'];
  readonly what: string;
  readonly mainJob: boolean;
  readonly ok: boolean;
  /** The routes whose tools are all present. */
  readonly via: readonly string[];
  /** Per route that does not work, the tools it lacks. */
  readonly lacking: readonly { readonly via: string; readonly missing: readonly ToolId[] }[];
}

export interface DoctorReport {
  readonly mainJob: string;
  /** The main job can run: every mainJob stage has a working route. */
  readonly ready: boolean;
  readonly tools: readonly ToolReport[];
  readonly stages: readonly StageReport[];
  /** For a machine that is not ready: one line per way to fix it (the first: Debian packages). */
  readonly fix: readonly string[];
}

function installOf(tool: ToolSpec): ToolInstall {
  return {
    debian: tool.debian.length > 0 ? aptInstallLine([tool.id]) : null,
    other: tool.otherInstall ?? null,
    platformio: tool.platformio ?? null,
  };
}

export function evaluate(results: ReadonlyMap<ToolId, ProbeResult>, stages: readonly StageSpec[] = STAGES, tools: readonly ToolSpec[] = TOOLS): DoctorReport {
  const present = (id: ToolId): boolean => results.get(id)?.state === 'ok';
  const toolReports = tools.map((t): ToolReport => ({ id: t.id, name: t.name, ...(results.get(t.id) ?? { state: 'missing' }), install: installOf(t) }));
  const stageReports = stages.map((s): StageReport => {
    const via = s.routes.filter((r) => r.needs.every(present)).map((r) => r.via);
    const lacking = s.routes
      .map((r) => ({ via: r.via, missing: r.needs.filter((id) => !present(id)) }))
      .filter((r) => r.missing.length > 0);
    return { id: s.id, what: s.what, mainJob: s.mainJob, ok: via.length > 0, via, lacking };
  });
  const failing = stageReports.filter((s) => s.mainJob && !s.ok);
  return { mainJob: MAIN_JOB, ready: failing.length === 0, tools: toolReports, stages: stageReports, fix: fixLines(failing) };
}

/** How to get these tools: one apt-get line for those Debian packages, then the other ways for the rest. */
function installLine(ids: readonly ToolId[]): string {
  const apt = ids.filter((id) => getTool(id).debian.length > 0);
  const other = ids.filter((id) => getTool(id).debian.length === 0).map((id) => getTool(id).otherInstall ?? `install ${getTool(id).name}`);
  return [...(apt.length > 0 ? [aptInstallLine(apt)] : []), ...other].join('; ');
}

/** The fix for failing stages: the first route of each (Debian packages where they exist), then each other route. */
function fixLines(failing: readonly StageReport[]): string[] {
  if (failing.length === 0) return [];
  const first = new Set(failing.flatMap((s) => s.lacking[0]?.missing ?? []));
  const lines = [installLine([...first])];
  for (const s of failing) {
    // A route that needs nothing beyond the first line adds nothing.
    for (const alt of s.lacking.slice(1).filter((r) => !r.missing.every((id) => first.has(id)))) {
      lines.push(`or, to ${s.what} with ${alt.via}: ${installLine(alt.missing)}`);
    }
  }
  return lines;
}

/** Control characters (from PATH entries or a tool's output) shown as escapes, so nothing reaches the terminal raw. */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

const STATE_LABEL: Record<ProbeResult['state'], string> = { ok: 'ok', missing: 'missing', 'too-old': 'too old' };

export function formatDoctor(r: DoctorReport): string {
  const nameWidth = Math.max(...r.tools.map((t) => t.name.length));
  const verWidth = Math.max(7, ...r.tools.map((t) => (t.version ?? '').length));
  const lines = ['tools'];
  for (const t of r.tools) {
    const where = t.path ? printable(t.path) : '';
    lines.push(`  ${STATE_LABEL[t.state].padEnd(8)} ${t.name.padEnd(nameWidth)}  ${printable(t.version ?? (t.state === 'ok' ? '?' : '')).padEnd(verWidth)}  ${where}`.trimEnd());
    if (t.state === 'ok') continue;
    if (t.note) lines.push(`           ${printable(t.note)}`);
    if (t.install.debian) lines.push(`           Debian/Ubuntu: ${t.install.debian}`);
    if (t.install.other) lines.push(`           install: ${t.install.other}`);
    if (t.install.platformio) lines.push(`           PlatformIO:    ${t.install.platformio}`);
  }
  const whatWidth = Math.max(...r.stages.map((s) => s.what.length));
  lines.push('', 'stages');
  for (const s of r.stages) {
    const how = s.ok ? `via ${s.via.join(', ')}` : `lacks ${s.lacking.map((l) => `${l.via}: ${l.missing.map((id) => getTool(id).name).join(', ')}`).join('; ')}`;
    lines.push(`  ${(s.ok ? 'ok' : 'missing').padEnd(8)} ${s.what.padEnd(whatWidth)}  ${how}${s.mainJob ? '' : '  [optional]'}`);
  }
  lines.push('');
  if (r.ready) {
    lines.push(`ready: ${r.mainJob} can run here`);
  } else {
    const failing = r.stages.filter((s) => s.mainJob && !s.ok).map((s) => s.what);
    lines.push(`not ready: ${r.mainJob} cannot run here (${failing.join('; ')})`);
    lines.push(...r.fix.map((f, i) => `  ${i === 0 ? 'fix:' : '    '} ${f}`));
  }
  return lines.join('\n');
}

/** The Debian packages of every tool that is not ok (for `apt-get install`; setup.sh installs these). */
export function missingDebianPackages(r: DoctorReport): string[] {
  return [...new Set(r.tools.filter((t) => t.state !== 'ok').flatMap((t) => getTool(t.id).debian))];
}
