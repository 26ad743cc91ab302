// The rules text: the words of `ethtool -N … flow-type`, one rule per line, `#` comments.
//
//   flow-type tcp4 src-ip 192.0.2.7 dst-ip 10.0.0.1 src-port 40001 dst-port 80 action 2
//   listen tcp4 dst-ip 10.0.0.1 dst-port 80 action 1
//   listen tcp4 dst-ip 10.0.0.1 dst-port 8080 action 1,2,3   (a shared port: one of the queues)
//   default action 0
//   listen tcp4 dst-ip 10.0.0.1 dst-port 80 action 1,2,3 learn   (the adapter pins on the SYN)
//   learning syn-timeout 5 idle-timeout 300 fin-timeout 10 max-embryonic 1024 [max-entries N]
//   flow-type tcp4 src-ip … dst-port 80 action 2 idle-timeout 30   (aged when idle 30 s)
//
// After the flow type, words come as name/value pairs in any order. The CLI passes the same
// words (`sipnic flow add …`, `sipnic listen add …`, `sipnic default set …`).
import { formatIp, IpParseError, parseIp } from './ip.js';

export type Family = 4 | 6;
export type Proto = 'tcp' | 'udp';

export interface FlowRule {
  kind: 'flow';
  family: Family;
  proto: Proto;
  srcIp: Uint8Array;
  dstIp: Uint8Array;
  srcPort: number;
  dstPort: number;
  action: number; // -1 drops, otherwise a queue ≥ 0
  /** Removed once idle this long (`idle-timeout S`); never aged without it. */
  idleTimeoutMs?: number;
}

/** A listen rule's action: one queue (or -1, drop), or the queues that share the port. */
export type ListenAction = number | number[];

export interface ListenRule {
  kind: 'listen';
  family: Family;
  proto: Proto;
  dstIp: Uint8Array;
  dstPort: number;
  /** -1, a queue, or a list of queues sharing the port (docs/semantics.md, shared ports) */
  action: ListenAction;
  /** `learn`: a SYN this rule steers makes the adapter pin its connection (TCP only). */
  learn?: boolean;
}

export interface DefaultRule {
  kind: 'default';
  action: number;
}

/** The learning engine's timers and quota (`learning …`, one line; every word optional). */
export interface LearningRule {
  kind: 'learning';
  synTimeoutMs: number;
  idleTimeoutMs: number;
  finTimeoutMs: number;
  maxEmbryonic: number;
  /** learning is refused `full` once the exact table holds this many entries (host and learned); unset: only the table's size limits */
  maxEntries?: number;
}

/** What a `learning` line leaves out. */
export const LEARNING_DEFAULTS: Readonly<Omit<LearningRule, 'kind'>> = { synTimeoutMs: 5_000, idleTimeoutMs: 300_000, finTimeoutMs: 10_000, maxEmbryonic: 1024 };

/** Timeouts are whole milliseconds from 1 ms to one hour (the adapter's time stamps hold no more). */
export const MIN_TIMEOUT_MS = 1;
export const MAX_TIMEOUT_MS = 3_600_000;
export const MAX_EMBRYONIC = 65_535;

export type Rule = FlowRule | ListenRule | DefaultRule | LearningRule;
/** A rule that is an entry of the adapter's tables (not its learning settings). */
export type TableRule = FlowRule | ListenRule | DefaultRule;
export type RuleKind = Rule['kind'];

/** A rule that does not parse; the message names the bad word and what was expected. */
export class RuleSyntaxError extends Error {
  readonly code = 'ERULE';
  line?: number;
  word?: string;
  constructor(message: string, options: { line?: number; word?: string; cause?: unknown } = {}) {
    super(options.line === undefined ? message : `line ${options.line}: ${message}`, { cause: options.cause });
    this.name = 'RuleSyntaxError';
    this.line = options.line;
    this.word = options.word;
  }
}

export const FLOW_TYPES = ['tcp4', 'udp4', 'tcp6', 'udp6'] as const;
export type FlowType = (typeof FLOW_TYPES)[number];

const FIELDS: Record<TableRule['kind'], readonly string[]> = {
  flow: ['src-ip', 'dst-ip', 'src-port', 'dst-port', 'action'],
  listen: ['dst-ip', 'dst-port', 'action'],
  default: ['action'],
};
/** Name/value pairs a rule may leave out. */
const OPTIONAL: Record<TableRule['kind'], readonly string[]> = { flow: ['idle-timeout'], listen: [], default: [] };

const LEARNING_WORDS = { 'syn-timeout': 'synTimeoutMs', 'idle-timeout': 'idleTimeoutMs', 'fin-timeout': 'finTimeoutMs', 'max-embryonic': 'maxEmbryonic', 'max-entries': 'maxEntries' } as const;

const LEADING_WORDS = ['flow-type', 'listen', 'default', 'learning'];

/** Largest action the text accepts; whether the adapter has that queue is decided later. */
export const MAX_ACTION = 0x7fffffff;

/** Most queues one listen rule may share a port among (the slots of a queue group). */
export const MAX_LISTEN_MEMBERS = 8;

export const flowTypeOf = (family: Family, proto: Proto): FlowType => `${proto}${family}` as FlowType;

/** One line of rules text: a rule, or null for a blank or comment-only line. */
export function parseRuleLine(line: string, lineNumber?: number): Rule | null {
  const hash = line.indexOf('#');
  const words = (hash >= 0 ? line.slice(0, hash) : line).trim().split(/\s+/).filter((w) => w !== '');
  if (words.length === 0) return null;
  return withLine(lineNumber, () => {
    const [first, ...rest] = words;
    switch (first) {
      case 'flow-type':
        return parseBody(words, 'flow');
      case 'listen':
        return parseBody(rest, 'listen');
      case 'default':
        return parseBody(rest, 'default');
      case 'learning':
        return parseLearning(rest);
      default:
        throw new RuleSyntaxError(`unknown word "${first}" at the start of a rule (expected one of: ${LEADING_WORDS.join(', ')})`, { word: first });
    }
  });
}

/** Every rule of a rules text; a syntax error or a repeated rule names its line. */
export function parseRules(text: string): Rule[] {
  const rules: Rule[] = [];
  const seen = new Map<string, number>();
  text.split(/\r?\n/).forEach((line, i) => {
    const rule = parseRuleLine(line, i + 1);
    if (!rule) return;
    const key = ruleKey(rule);
    const first = seen.get(key);
    if (first !== undefined) {
      const what = rule.kind === 'default' || rule.kind === 'learning' ? `a second ${rule.kind} line (the first is line ${first})` : `the same ${rule.kind} rule as line ${first}`;
      throw new RuleSyntaxError(`${what} (${key})`, { line: i + 1 });
    }
    seen.set(key, i + 1);
    rules.push(rule);
  });
  return rules;
}

/**
 * The words of one rule as the CLI receives them:
 * flow: `flow-type tcp4 src-ip … action 2` (the leading `flow-type` may be left out);
 * listen: `tcp4 dst-ip … dst-port 80 action 1`; default: `action 0`.
 */
export function parseRuleWords(words: readonly string[], kind: 'flow'): FlowRule;
export function parseRuleWords(words: readonly string[], kind: 'listen'): ListenRule;
export function parseRuleWords(words: readonly string[], kind: 'default'): DefaultRule;
export function parseRuleWords(words: readonly string[], kind: 'learning'): LearningRule;
export function parseRuleWords(words: readonly string[], kind: RuleKind): Rule;
export function parseRuleWords(words: readonly string[], kind: RuleKind): Rule {
  const w = words.filter((x) => x !== '');
  return kind === 'learning' ? parseLearning(w) : parseBody(w, kind);
}

/** `learning [syn-timeout S] [idle-timeout S] [fin-timeout S] [max-embryonic N] [max-entries N]`, any order. */
function parseLearning(words: readonly string[]): LearningRule {
  const rule: LearningRule = { kind: 'learning', ...LEARNING_DEFAULTS };
  const seen = new Set<string>();
  const names = Object.keys(LEARNING_WORDS);
  for (let i = 0; i < words.length; i += 2) {
    const name = words[i];
    if (!(name in LEARNING_WORDS)) throw new RuleSyntaxError(`unknown word "${name}" in a learning line (expected one of: ${names.join(', ')})`, { word: name });
    if (seen.has(name)) throw new RuleSyntaxError(`repeated word "${name}"`, { word: name });
    seen.add(name);
    const value = words[i + 1];
    if (value === undefined) throw new RuleSyntaxError(`missing value after "${name}"`, { word: name });
    const field = LEARNING_WORDS[name as keyof typeof LEARNING_WORDS];
    rule[field] = field === 'maxEmbryonic' || field === 'maxEntries' ? parseCount(name, value) : parseSeconds(name, value);
  }
  return rule;
}

/** Seconds with decimals (`0.5`, `300`) as whole milliseconds, MIN_TIMEOUT_MS..MAX_TIMEOUT_MS. */
function parseSeconds(name: string, text: string): number {
  const ms = /^[0-9]{1,7}(\.[0-9]{1,3})?$/.test(text) ? Math.round(Number(text) * 1000) : NaN;
  if (!(ms >= MIN_TIMEOUT_MS && ms <= MAX_TIMEOUT_MS)) {
    throw new RuleSyntaxError(`bad time "${text}" for ${name} (expected seconds from ${MIN_TIMEOUT_MS / 1000} to ${MAX_TIMEOUT_MS / 1000}, at most 3 decimals)`, { word: text });
  }
  return ms;
}

function parseCount(name: string, text: string): number {
  const v = /^[0-9]{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(v >= 0 && v <= MAX_EMBRYONIC)) throw new RuleSyntaxError(`bad count "${text}" for ${name} (expected 0..${MAX_EMBRYONIC})`, { word: text });
  return v;
}

function parseBody(input: readonly string[], kind: TableRule['kind']): TableRule {
  let words = [...input];
  // `learn` ends a listen rule: a flag, not a name/value pair
  let learn = false;
  if (words.at(-1) === 'learn') {
    if (kind !== 'listen') throw new RuleSyntaxError(`"learn" ends listen rules only; a ${kind} rule cannot learn`, { word: 'learn' });
    learn = true;
    words = words.slice(0, -1);
  }
  if (words.includes('learn')) throw new RuleSyntaxError('"learn" must be the last word of a listen rule', { word: 'learn' });
  // `flow-type` leads a flow rule; accept it after `listen` too, as ethtool users type it
  if (kind !== 'default' && words[0] === 'flow-type') words = words.slice(1);
  let family: Family = 4;
  let proto: Proto = 'tcp';
  let flowType: FlowType | undefined;
  if (kind !== 'default') {
    const t = words[0];
    if (t === undefined) throw new RuleSyntaxError(`missing flow type (expected one of: ${FLOW_TYPES.join(', ')})`);
    if (!(FLOW_TYPES as readonly string[]).includes(t)) {
      throw new RuleSyntaxError(`unknown flow type "${t}" (expected one of: ${FLOW_TYPES.join(', ')})`, { word: t });
    }
    flowType = t as FlowType;
    proto = flowType.startsWith('tcp') ? 'tcp' : 'udp';
    family = flowType.endsWith('4') ? 4 : 6;
    words = words.slice(1);
  }

  const allowed = FIELDS[kind];
  const known = [...allowed, ...OPTIONAL[kind]];
  const values = new Map<string, string>();
  for (let i = 0; i < words.length; i += 2) {
    const name = words[i];
    if (!known.includes(name)) {
      throw new RuleSyntaxError(`unknown word "${name}" (expected one of: ${known.join(', ')})`, { word: name });
    }
    if (values.has(name)) throw new RuleSyntaxError(`repeated word "${name}"`, { word: name });
    const value = words[i + 1];
    if (value === undefined) throw new RuleSyntaxError(`missing value after "${name}"`, { word: name });
    values.set(name, value);
  }
  const missing = allowed.filter((f) => !values.has(f));
  if (missing.length) {
    throw new RuleSyntaxError(`missing ${missing.join(', ')} (a ${kind} rule needs ${allowed.join(', ')})`, { word: missing[0] });
  }

  // values are checked in the order they were written, so the first bad word is reported
  const ips = new Map<string, Uint8Array>();
  const numbers = new Map<string, number>();
  let members: number[] | undefined;
  for (const [name, value] of values) {
    if (name === 'action' && value.includes(',')) members = parseActionList(value, kind);
    else if (name === 'action') numbers.set(name, parseAction(value));
    else if (name.endsWith('-port')) numbers.set(name, parsePort(name, value));
    else if (name === 'idle-timeout') numbers.set(name, parseSeconds(name, value));
    else ips.set(name, parseAddress(name, value, family, flowType!));
  }
  const action = numbers.get('action')!;
  if (kind === 'default') return { kind, action };
  const dstIp = ips.get('dst-ip')!;
  const dstPort = numbers.get('dst-port')!;
  if (kind === 'listen') {
    if (learn && proto !== 'tcp') throw new RuleSyntaxError(`"learn" is for tcp listen rules (learning starts on a TCP SYN), not ${flowType}`, { word: 'learn' });
    return { kind, family, proto, dstIp, dstPort, action: members ?? action, ...(learn ? { learn } : {}) };
  }
  const idle = numbers.get('idle-timeout');
  return { kind, family, proto, srcIp: ips.get('src-ip')!, dstIp, srcPort: numbers.get('src-port')!, dstPort, action, ...(idle !== undefined ? { idleTimeoutMs: idle } : {}) };
}

function parseAddress(name: string, text: string, family: Family, flowType: FlowType): Uint8Array {
  let parsed;
  try {
    parsed = parseIp(text);
  } catch (err) {
    if (err instanceof IpParseError) throw new RuleSyntaxError(`${name}: ${err.message}`, { word: text, cause: err });
    throw err;
  }
  if (parsed.family !== family) {
    throw new RuleSyntaxError(`${name} ${text} is IPv${parsed.family} but flow-type is ${flowType}`, { word: text });
  }
  return parsed.bytes;
}

function parsePort(name: string, text: string): number {
  const v = /^[0-9]{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(v >= 0 && v <= 0xffff)) throw new RuleSyntaxError(`bad port "${text}" for ${name} (expected 0..65535)`, { word: text });
  return v;
}

function parseAction(text: string): number {
  // -1 is the only negative action: `-0` would read as queue 0 and hide a typo
  const v = /^(-1|[0-9]{1,10})$/.test(text) ? Number(text) : NaN;
  if (!(v >= -1 && v <= MAX_ACTION)) {
    throw new RuleSyntaxError(`bad action "${text}" (expected -1 to drop, or a queue number 0..${MAX_ACTION})`, { word: text });
  }
  return v;
}

/** `1,2,3`: the queues that share a listen rule's port; only listen rules take a list. */
function parseActionList(text: string, kind: TableRule['kind']): number[] {
  if (kind !== 'listen') {
    throw new RuleSyntaxError(`an action list ("${text}") is only for listen rules; a ${kind} rule takes one queue, or -1 to drop`, { word: text });
  }
  const parts = text.split(',');
  if (!parts.every((p) => /^[0-9]{1,10}$/.test(p) && Number(p) <= MAX_ACTION)) {
    throw new RuleSyntaxError(`bad action list "${text}" (expected queue numbers separated by commas, like 1,2,3)`, { word: text });
  }
  if (parts.length > MAX_LISTEN_MEMBERS) {
    throw new RuleSyntaxError(`action list "${text}" names ${parts.length} queues; a port is shared among at most ${MAX_LISTEN_MEMBERS}`, { word: text });
  }
  return parts.map(Number);
}

/** An action as the rules text writes it: `2`, `-1`, or `1,2,3`. */
export function formatAction(action: ListenAction): string {
  return Array.isArray(action) ? action.join(',') : String(action);
}

function withLine<T>(line: number | undefined, body: () => T): T {
  try {
    return body();
  } catch (err) {
    if (err instanceof RuleSyntaxError && line !== undefined && err.line === undefined) {
      throw new RuleSyntaxError(err.message, { line, word: err.word, cause: err.cause });
    }
    throw err;
  }
}

/** The rule as one line of rules text; parseRuleLine(formatRule(r)) gives r back. */
export function formatRule(rule: Rule): string {
  switch (rule.kind) {
    case 'default':
      return `default action ${rule.action}`;
    case 'learning':
      return `learning syn-timeout ${formatSeconds(rule.synTimeoutMs)} idle-timeout ${formatSeconds(rule.idleTimeoutMs)} fin-timeout ${formatSeconds(rule.finTimeoutMs)} max-embryonic ${rule.maxEmbryonic}${rule.maxEntries !== undefined ? ` max-entries ${rule.maxEntries}` : ''}`;
    case 'listen':
      return `${ruleKey(rule)} action ${formatAction(rule.action)}${rule.learn ? ' learn' : ''}`;
    case 'flow':
      return `${ruleKey(rule)} action ${rule.action}${rule.idleTimeoutMs !== undefined ? ` idle-timeout ${formatSeconds(rule.idleTimeoutMs)}` : ''}`;
  }
}

/** Whole milliseconds as the rules text writes seconds: `5`, `0.25`, `1.001`. */
export const formatSeconds = (ms: number): string => String(ms / 1000);

/**
 * The identity of a rule, without its action: two rules with the same key match the same
 * frames. Flow and listen keys are the rule's canonical text up to the action.
 */
export function ruleKey(rule: Rule): string {
  switch (rule.kind) {
    case 'flow':
      return (
        `flow-type ${flowTypeOf(rule.family, rule.proto)} src-ip ${formatIp(rule.srcIp, rule.family)} ` +
        `dst-ip ${formatIp(rule.dstIp, rule.family)} src-port ${rule.srcPort} dst-port ${rule.dstPort}`
      );
    case 'listen':
      return `listen ${flowTypeOf(rule.family, rule.proto)} dst-ip ${formatIp(rule.dstIp, rule.family)} dst-port ${rule.dstPort}`;
    case 'default':
    case 'learning':
      return rule.kind;
  }
}
