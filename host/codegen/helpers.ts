// The Handlebars helpers, all in one place: formatting of C literals only; the view model holds every value.
import type { HelperDelegate } from 'handlebars';
import { floatLiteral, stringLiteral } from './literals.js';

export const HELPERS: Readonly<Record<string, HelperDelegate>> = {
  /** {{cFloat x}}: one exact float32 literal. */
  cFloat: (x: unknown) => floatLiteral(x as number),
  /** {{cFloats xs}}: exact float32 literals separated by ", ". */
  cFloats: (xs: unknown) => (xs as readonly number[]).map((x) => floatLiteral(x)).join(', '),
  /** {{cString s}}: an escaped C string literal. */
  cString: (s: unknown) => stringLiteral(s as string),
};

/** For Handlebars' knownHelpers option, with knownHelpersOnly. */
export const KNOWN_HELPERS: Readonly<Record<string, true>> = Object.fromEntries(Object.keys(HELPERS).map((k) => [k, true]));
