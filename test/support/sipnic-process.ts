// The `sipnic` command as a shell runs it: a child process of bin/sipnic.mjs, optionally inside
// a network namespace (ip netns exec), for the tests that drive whole clusters.
import { execFile } from 'node:child_process';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..');
export const BIN = join(ROOT, 'bin', 'sipnic.mjs');

export interface Run {
  code: number;
  out: string;
  err: string;
}

/** `sipnic ARGS` in a child process; never rejects: the exit code, stdout and stderr. */
export function sipnic(args: string[], o: { env?: Record<string, string>; ns?: string; timeoutMs?: number } = {}): Promise<Run> {
  const argv = o.ns ? ['ip', 'netns', 'exec', o.ns, process.execPath, BIN, ...args] : [process.execPath, BIN, ...args];
  return new Promise((resolve) => {
    execFile(argv[0], argv.slice(1), { cwd: ROOT, env: { ...process.env, ...o.env }, timeout: o.timeoutMs ?? 300_000, maxBuffer: 64 << 20 }, (err, out, errOut) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: String(out), err: String(errOut) });
    });
  });
}

/** `sipnic ARGS --json`, parsed; throws with stderr and stdout when it exits non-zero. */
export async function sipnicJson<T = any>(args: string[], o: Parameters<typeof sipnic>[1] = {}): Promise<T> {
  const r = await sipnic([...args, '--json'], o);
  if (r.code !== 0) throw new Error(`sipnic ${args.join(' ')} exited ${r.code}: ${r.err}\n${r.out}`);
  return JSON.parse(r.out) as T;
}
