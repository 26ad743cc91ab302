// sipnic stats — every counter of the adapter.
import { Command } from 'commander';
import { countersToJson, type Counters } from '../driver/index.js';
import { table, type Cli } from './context.js';

export function formatCounters(c: Counters): string {
  const lines = [
    `rx        ${c.rxFrames} frames, ${c.rxBytes} bytes`,
    `decided   flow ${c.flowHits}, listen ${c.listenHits}, default ${c.defaultHits}`,
    `drops     ${Object.entries(c.drops).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    ...(c.learning
      ? [
          `learning  learned ${c.learning.learned}, embryonic now ${c.learning.embryonic}`,
          `aged      ${Object.entries(c.learning.aged).map(([k, v]) => `${k} ${v}`).join(', ')}`,
          `refused   ${Object.entries(c.learning.refused).map(([k, v]) => `${k} ${v}`).join(', ')}`,
        ]
      : []),
    '',
    table(
      ['queue', 'frames', 'bytes', 'drops'],
      c.queues.map((q, i) => [i, q.frames, q.bytes, q.drops]),
    ),
  ];
  return lines.join('\n');
}

export function statsCommand(cli: Cli): Command {
  return new Command('stats')
    .description('show the counters: frames in, decisions, drops by reason, per queue; with the learning engine, entries learned, aged by state and refused by reason')
    .option('--clear', 'clear every counter after reading')
    .addHelpText('after', '\nExample:\n  sipnic stats --json')
    .action(async (opts: { clear?: boolean }, cmd: Command) => {
      const c = await cli.withAdapter(cmd, async (a) => {
        const counters = await a.counters();
        if (opts.clear) await a.clearCounters();
        return counters;
      });
      cli.out(cmd, formatCounters(c), countersToJson(c));
    });
}
