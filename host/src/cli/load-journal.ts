// The journal of a `sipnic rules load` in progress: written before its first write to the
// table, removed once the load is complete or completely taken back out. One left behind
// means the load was killed or could not take its rules back out: the table may hold part of
// the file, and `sipnic rules recover` deletes those rules (none of them was in the table
// before the load: rule-set.ts checks that) and puts the default action back.
//
// One journal per adapter (its device or socket path), created exclusively: it is also the
// lock that keeps two loads off one adapter. Kept in $SIPNIC_STATE_DIR, else
// $XDG_STATE_HOME/sipnic, else ~/.local/state/sipnic.
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { homedir, hostname } from 'node:os';
import { join } from 'node:path';
import { CodedError } from '../util/errors.js';
import type { Target } from './context.js';

export interface LoadJournal {
  /** Where this journal is. */
  path: string;
  target: string;
  file: string;
  pid: number;
  host: string;
  started: string;
  /** The default action before the load, when the file sets one. */
  previousDefault?: number;
  /** The file's rules, as rules text, with their line numbers. */
  rules: { line: number; text: string }[];
}

export class JournalError extends CodedError<'EBUSY' | 'EJOURNAL'> {
  override readonly name = 'JournalError';
}

export function stateDir(env: NodeJS.ProcessEnv): string {
  if (env.SIPNIC_STATE_DIR) return env.SIPNIC_STATE_DIR;
  return join(env.XDG_STATE_HOME || join(env.HOME || homedir(), '.local', 'state'), 'sipnic');
}

export function targetName(t: Target): string {
  return t.kind === 'serial' ? `serial ${t.device}` : `socket ${t.path}`;
}

export function journalPath(env: NodeJS.ProcessEnv, t: Target): string {
  const name = targetName(t);
  const readable = name.replace(/[^A-Za-z0-9._-]+/g, '_').slice(-60);
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 12);
  return join(stateDir(env), `rules-load-${readable}-${hash}.json`);
}

/** The journal at path, or undefined when there is none. */
export function readJournal(path: string): LoadJournal | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    return { ...(JSON.parse(text) as LoadJournal), path };
  } catch {
    // a journal cut short by a crash while it was written: no write to the table came after it
    return { path, target: '?', file: '?', pid: 0, host: '?', started: '?', rules: [] };
  }
}

/** Whether the load that wrote the journal is still running (same host, pid alive). */
export function journalOwnerAlive(j: LoadJournal): boolean {
  if (j.host !== hostname() || !j.pid || j.pid === process.pid) return false;
  try {
    process.kill(j.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The error for a journal found where a new load (or a recovery) wants to start. */
export function journalInTheWay(j: LoadJournal): JournalError {
  if (journalOwnerAlive(j)) return new JournalError('EBUSY', `a \`sipnic rules load ${j.file}\` (pid ${j.pid}, started ${j.started}) is running against this adapter; wait for it or stop it`);
  return new JournalError(
    'EJOURNAL',
    `an earlier \`sipnic rules load ${j.file}\` (pid ${j.pid}, started ${j.started}) did not finish: the table may hold part of it. ` +
      `Run \`sipnic rules recover\` to take that part out, or \`sipnic rules recover --forget\` to keep the table as it is (journal: ${j.path})`,
  );
}

/** Creates the journal (exclusively: an existing one is in the way) and flushes it to disk. */
export function writeJournal(j: LoadJournal): void {
  mkdirSync(join(j.path, '..'), { recursive: true });
  let fd: number;
  try {
    fd = openSync(j.path, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const other = readJournal(j.path);
    throw other ? journalInTheWay(other) : err;
  }
  try {
    const { path: _path, ...body } = j;
    writeSync(fd, JSON.stringify(body) + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function removeJournal(path: string): void {
  rmSync(path, { force: true });
}
