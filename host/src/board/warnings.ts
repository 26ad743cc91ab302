// The board build fails on a warning it has not seen before. Each warning line of yosys.log and
// nextpnr.log is reduced to its class (the words of the message, without the numbers, cell and
// wire names and source lines that change from run to run); a class not in the reviewed
// allow-list (warnings-allowed.json beside this file, one reason per entry) stops the build.
import ALLOWED from './warnings-allowed.json' with { type: 'json' };
import { BoardError } from './boards.js';

export type WarningTool = 'yosys' | 'nextpnr';

/** Where the allow-list lives, for messages (relative to the repository root). */
export const ALLOW_LIST_PATH = 'host/src/board/warnings-allowed.json';

export interface AllowedWarning {
  /** The class, as warningClass() gives it. */
  class: string;
  /** Why it is harmless: one line, reviewed. */
  reason: string;
}

export type AllowList = Readonly<Record<WarningTool, readonly AllowedWarning[]>>;

export const ALLOW_LIST: AllowList = ALLOWED;

export interface WarningFound {
  tool: WarningTool;
  class: string;
  /** The first line of this class in the log, as written. */
  line: string;
  /** 1-based line number of that line in the log. */
  lineNumber: number;
  /** How many lines of the log have this class. */
  count: number;
}

// "Warning: …" from yosys and nextpnr; yosys's lexer writes "Lexer warning: …"
const WARNING_LINE = /^(?:[A-Za-z]+ )?[Ww]arning: /;

/**
 * The class of one warning line: the message with source paths cut to the file name (no line or
 * column), yosys identifiers (`\name`, `$auto$…`, `$flatten\a.\b…`) and quoted names as <id>,
 * numbers as N, blanks collapsed. Two runs of the same design give the same classes.
 */
export function warningClass(line: string): string {
  let s = line.trim();
  // source positions: dir/…/file.v:84 or file.v:84.5-84.20 → file.v
  s = s.replace(/(?:[^\s:'"`()]*\/)?([\w.-]+\.(?:v|sv|vh|svh|lpf|pcf|ys|json))(?::\d+(?:\.\d+)?(?:-\d+(?:\.\d+)?)?)?/g, '$1');
  // quoted names: 'x', "x", `x'
  s = s.replace(/'[^'\s]*'|"[^"]*"|`[^'`]*'/g, '<id>');
  // yosys identifiers: escaped (\name, \a.\b[3]) and generated ($procmux$42096, $flatten\x.$y$z)
  s = s.replace(/(?:\$[\w$\\.:[\]/-]*|\\[^\s,;()]+)/g, '<id>');
  // numbers, alone or as Verilog constants (1'0, 32'hdeadbeef)
  s = s.replace(/\b\d+'[sS]?[bodhBODH]?[0-9a-fA-FxXzZ_]+/g, 'N');
  s = s.replace(/\b\d+(?:\.\d+)?\b/g, 'N');
  return s.replace(/\s+/g, ' ');
}

/** Every warning class in a log, in order of first appearance. */
export function findWarnings(tool: WarningTool, log: string): WarningFound[] {
  const found = new Map<string, WarningFound>();
  const lines = log.split(/\r?\n/);
  lines.forEach((line, i) => {
    if (!WARNING_LINE.test(line)) return;
    const cls = warningClass(line);
    const seen = found.get(cls);
    if (seen) seen.count += 1;
    else found.set(cls, { tool, class: cls, line: line.trimEnd(), lineNumber: i + 1, count: 1 });
  });
  return [...found.values()];
}

/** The warnings of a log whose class is not allowed for that tool. */
export function unknownWarnings(tool: WarningTool, log: string, allow: AllowList = ALLOW_LIST): WarningFound[] {
  const known = new Set(allow[tool].map((a) => a.class));
  return findWarnings(tool, log).filter((w) => !known.has(w.class));
}

/** Throws EWARNING listing every unknown warning class of the log (none: returns what was found). */
export function checkWarnings(tool: WarningTool, log: string, logPath: string, allow: AllowList = ALLOW_LIST): WarningFound[] {
  const all = findWarnings(tool, log);
  const known = new Set(allow[tool].map((a) => a.class));
  const unknown = all.filter((w) => !known.has(w.class));
  if (unknown.length) {
    const list = unknown.map((w) => `  ${logPath}:${w.lineNumber}: ${w.line}${w.count > 1 ? ` (${w.count} times)` : ''}\n    class: ${w.class}`).join('\n');
    const err = new BoardError(
      'EWARNING',
      `${tool} printed ${unknown.length === 1 ? 'a warning' : `${unknown.length} warnings`} of a class not seen before:\n${list}\n` +
        `Fix the cause, or, once reviewed as harmless, add the class with a one-line reason to ${ALLOW_LIST_PATH} ("${tool}" list).`,
    );
    throw Object.assign(err, { warnings: unknown });
  }
  return all;
}

/** Checks the allow-list's own shape: every entry a non-empty class and reason, no duplicates. */
export function validateAllowList(allow: unknown): asserts allow is AllowList {
  const bad = (why: string) => new BoardError('EWARNING', `${ALLOW_LIST_PATH}: ${why}`);
  if (typeof allow !== 'object' || allow === null) throw bad('not an object');
  for (const tool of ['yosys', 'nextpnr'] as const) {
    const list = (allow as Record<string, unknown>)[tool];
    if (!Array.isArray(list)) throw bad(`"${tool}" is not a list`);
    const seen = new Set<string>();
    for (const [i, e] of list.entries()) {
      const entry = e as Partial<AllowedWarning>;
      if (typeof entry?.class !== 'string' || !entry.class.trim()) throw bad(`${tool}[${i}] has no class`);
      if (typeof entry.reason !== 'string' || !entry.reason.trim() || entry.reason.includes('\n')) throw bad(`${tool}[${i}] needs a one-line reason`);
      if (warningClass(entry.class) !== entry.class) throw bad(`${tool}[${i}] class is not normalized (should be: ${warningClass(entry.class)})`);
      if (seen.has(entry.class)) throw bad(`${tool}[${i}] repeats the class "${entry.class}"`);
      seen.add(entry.class);
    }
  }
}
