import type { CliIO } from '../../host/src/cli/context.js';

/** A CliIO whose stdout and stderr are kept in `output` (not a terminal, an empty environment unless `extra` gives one). */
export function captureIo(extra: Partial<CliIO> = {}): CliIO & { output: { out: string; err: string } } {
  const output = { out: '', err: '' };
  return {
    output,
    stdout: (s) => void (output.out += s),
    stderr: (s) => void (output.err += s),
    stderrIsTTY: false,
    env: {},
    ...extra,
  };
}
