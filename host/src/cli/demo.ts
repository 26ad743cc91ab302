// sipnic demo — the README's main job: a real capture of three HTTP connections through the
// simulated adapter with examples/demo.rules, and how many frames each queue received.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { replayCapture } from '../sim/replay.js';
import { formatRule, parseRules } from '../codec/rules.js';
import { readFileSync } from 'node:fs';
import { table, type Cli } from './context.js';
import { widthOption } from './sim.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const DEMO_CAPTURE = join(ROOT, 'test/pcaps/pcapplusplus__three_http_streams.pcap');
export const DEMO_RULES = join(ROOT, 'examples/demo.rules');

export function demoCommand(cli: Cli): Command {
  return new Command('demo')
    .description('replay a bundled capture (three HTTP connections) with examples/demo.rules and show what each queue got')
    .addOption(widthOption())
    .option('--out <dir>', 'keep the replay output here (default: a new temporary folder)')
    .addHelpText('after', '\nExample:\n  sipnic demo\n  sipnic demo --json --out /tmp/demo')
    .action(async (opts: { width: string; out?: string }, cmd: Command) => {
      const outDir = opts.out ?? (await mkdtemp(join(tmpdir(), 'sipnic-demo-')));
      const rules = parseRules(readFileSync(DEMO_RULES, 'utf8'));
      const summary = await replayCapture({
        input: DEMO_CAPTURE,
        rulesFile: DEMO_RULES,
        outDir,
        width: Number(opts.width) as 8 | 64,
        createSim: await cli.simFactory(),
      });
      // which rules steer into each queue, to read the counts against
      const why = new Map<number, string[]>();
      for (const r of rules) {
        if (r.kind === 'learning') continue;
        const what = r.kind === 'flow' ? `flow ${r.srcPort}→${r.dstPort}` : r.kind === 'listen' ? `listen :${r.dstPort}` : 'default';
        for (const q of [r.action].flat()) why.set(q, [...(why.get(q) ?? []), what]);
      }
      const queues = [...new Set([...Object.keys(summary.queues).map(Number), ...why.keys()].filter((q) => q >= 0))].sort((a, b) => a - b);
      const rows = queues.map((q) => [`queue ${q}`, summary.queues[q]?.frames ?? 0, summary.queues[q]?.bytes ?? 0, (why.get(q) ?? []).join(', ')]);
      rows.push(['dropped', summary.dropped, 0, Object.entries(summary.drops).filter(([, n]) => n).map(([k, n]) => `${k} ${n}`).join(', ')]);
      cli.out(
        cmd,
        () =>
          [
            `sipnic demo: ${summary.frames} frames of ${DEMO_CAPTURE.slice(ROOT.length + 1)} through the simulated adapter (width ${summary.width})`,
            `rules: ${DEMO_RULES.slice(ROOT.length + 1)} (${rules.length} rules)`,
            '',
            table(['', 'frames', 'bytes', 'steered by'], rows),
            '',
            `decided by flow entries ${summary.decisions.flow}, listen entries ${summary.decisions.listen}, default ${summary.decisions.default}`,
            `output: ${outDir}`,
          ].join('\n'),
        { ...summary, rulesText: rules.map(formatRule), outDir },
      );
    });
}
