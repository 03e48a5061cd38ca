// renderSketch: view model in, file names and texts out (pure apart from reading the templates once).
import { readFileSync, readdirSync } from 'node:fs';
import Handlebars from 'handlebars';
import type { SketchView } from './view-model.js';
import { HELPERS, KNOWN_HELPERS } from './helpers.js';

export interface RenderedFile {
  /** File name inside the sketch folder (no directories). */
  readonly name: string;
  readonly text: string;
}

const TEMPLATE_DIR = new URL('../../firmware-templates/', import.meta.url);
const RUNTIME_DIR = new URL('runtime/', TEMPLATE_DIR);

interface Templates {
  readonly sketch: Handlebars.TemplateDelegate<SketchView>;
  readonly modelHeader: Handlebars.TemplateDelegate<SketchView>;
  readonly header: Handlebars.TemplateDelegate<SketchView>;
  /** The static runtime: name -> text, copied with the generated header on top. */
  readonly runtime: readonly RenderedFile[];
}

let cached: Templates | undefined;

function loadTemplates(): Templates {
  if (cached) return cached;
  const hbs = Handlebars.create();
  for (const [name, fn] of Object.entries(HELPERS)) hbs.registerHelper(name, fn);
  const read = (name: string): string => readFileSync(new URL(name, TEMPLATE_DIR), 'utf8');
  const compile = (name: string) =>
    hbs.compile<SketchView>(read(name), { noEscape: true, strict: true, knownHelpersOnly: true, knownHelpers: KNOWN_HELPERS });
  hbs.registerPartial('header', read('header.hbs'));
  const runtime = readdirSync(RUNTIME_DIR)
    .filter((f) => /\.(h|c|cpp)$/.test(f))
    .sort()
    .map((name) => ({ name, text: readFileSync(new URL(name, RUNTIME_DIR), 'utf8') }));
  cached = {
    sketch: compile('sketch.ino.hbs'),
    modelHeader: compile('nn_model.h.hbs'),
    header: compile('header.hbs'),
    runtime,
  };
  return cached;
}

/** The files of the sketch folder: <sketch>.ino, nn_model.h and the runtime headers, each starting with the generated-file header. */
export function renderSketch(view: SketchView): RenderedFile[] {
  const t = loadTemplates();
  const header = t.header(view);
  return [
    { name: `${view.sketchName}.ino`, text: t.sketch(view) },
    { name: 'nn_model.h', text: t.modelHeader(view) },
    ...t.runtime.map((f) => ({ name: f.name, text: header + f.text })),
  ];
}
