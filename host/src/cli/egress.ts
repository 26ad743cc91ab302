// sipnic egress set|list|enable|disable — the two-port NIC's per-queue destination MACs (the
// board, or `sim serve --pty`): queue n's frames leave port 1 with MAC n when the rewrite is on.
import { Command, InvalidArgumentError } from 'commander';
import { formatMac, parseMac } from '../codec/mac.js';
import { EgressTable, type Adapter } from '../driver/index.js';
import { table, type Cli } from './context.js';

const MAC_EXAMPLE = '02:00:5e:10:00:01';

function parseQueue(text: string): number {
  if (!/^\d+$/.test(text.trim())) throw new InvalidArgumentError(`queue "${text}" is not a queue number (0, 1, 2, …)`);
  return Number(text);
}

/** Runs fn on the adapter's egress block (ENOBLOCK on a bare core, e.g. `sim serve` without --pty). */
function withEgress<T>(cli: Cli, cmd: Command, fn: (egress: EgressTable, adapter: Adapter) => Promise<T>): Promise<T> {
  return cli.withAdapter(cmd, async (a) => fn(await EgressTable.open(a), a));
}

export function egressCommand(cli: Cli): Command {
  const egress = new Command('egress')
    .description('per-queue destination MACs on the cluster port (two-port NIC: the board, or `sim serve --pty`)')
    .addHelpText('after', `\nExamples:\n  sipnic egress set 1 ${MAC_EXAMPLE} --device /dev/ttyUSB0\n  sipnic egress enable --device /dev/ttyUSB0\n  sipnic egress list --device /dev/ttyUSB0 --json`);

  egress
    .command('set')
    .description("set the destination MAC that queue QUEUE's frames get on port 1")
    .argument('<queue>', 'queue number', parseQueue)
    .argument('<mac>', `MAC address, like ${MAC_EXAMPLE}`)
    .addHelpText('after', `\nExample:\n  sipnic egress set 1 ${MAC_EXAMPLE}\n  (frames keep their MAC until \`sipnic egress enable\`)`)
    .action(async (queue: number, text: string, _o, cmd: Command) => {
      const mac = parseMac(text);
      const shown = await withEgress(cli, cmd, async (e) => {
        await e.setMac(queue, mac);
        return e.getMac(queue);
      });
      const formatted = formatMac(shown);
      cli.out(cmd, `queue ${queue} → ${formatted}`, { queue, mac: formatted });
    });

  egress
    .command('list')
    .description('list every queue\'s destination MAC and whether the rewrite is on')
    .addHelpText('after', '\nExample:\n  sipnic egress list --json')
    .action(async (_o, cmd: Command) => {
      const { macs, rewrite } = await withEgress(cli, cmd, async (e) => ({ macs: await e.list(), rewrite: await e.rewriteEnabled() }));
      cli.out(cmd, () => `${table(['queue', 'mac'], macs.map((m) => [m.queue, m.mac]))}\nrewrite ${rewrite ? 'on' : 'off'}`, { rewrite, queues: macs.length, macs });
    });

  for (const [name, on] of [
    ['enable', true],
    ['disable', false],
  ] as const) {
    egress
      .command(name)
      .description(on ? "rewrite each queue's frames to its MAC on port 1" : 'send queue frames to port 1 unchanged (the reset state)')
      .addHelpText('after', `\nExample:\n  sipnic egress ${name} --json`)
      .action(async (_o, cmd: Command) => {
        await withEgress(cli, cmd, (e) => e.setRewrite(on));
        cli.out(cmd, `rewrite ${on ? 'on' : 'off'}`, { rewrite: on });
      });
  }

  return egress;
}
