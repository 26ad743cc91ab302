// sipnic egress set|cluster-mac|list|enable|disable — the two-port NIC's per-queue destination
// MACs (the board, or `sim serve --pty`): queue n's frames leave port 1 with MAC n when the rewrite
// is on; and the cluster MAC that port 1 frames reach port 0 with as source (ARP: also as sender
// address) when the source rewrite (--src) is on.
import { Command, InvalidArgumentError } from 'commander';
import { formatMac, parseMac } from '../codec/mac.js';
import { EgressTable, type Adapter } from '../driver/index.js';
import { table, type Cli } from './context.js';

const MAC_EXAMPLE = '02:00:5e:10:00:01';
const CLUSTER_MAC_EXAMPLE = '02:53:4e:00:00:01';

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
    .description('per-queue destination MACs on the cluster port, and the cluster MAC the clients see (two-port NIC: the board, or `sim serve --pty`)')
    .addHelpText(
      'after',
      `\nExamples:\n  sipnic egress set 1 ${MAC_EXAMPLE} --device /dev/ttyUSB0\n  sipnic egress enable --device /dev/ttyUSB0\n  sipnic egress cluster-mac ${CLUSTER_MAC_EXAMPLE} --device /dev/ttyUSB0\n  sipnic egress enable --src --device /dev/ttyUSB0\n  sipnic egress list --device /dev/ttyUSB0 --json`,
    );

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
    .command('cluster-mac')
    .description('set the cluster MAC: the source MAC (and ARP sender address) of frames from the cluster port to the clients while the source rewrite is on')
    .argument('<mac>', `MAC address, like ${CLUSTER_MAC_EXAMPLE} (the primary's --mac)`)
    .addHelpText(
      'after',
      `\nExample:\n  sipnic egress cluster-mac ${CLUSTER_MAC_EXAMPLE}\n  sipnic egress enable --src\n  (frames keep the processors' MACs until \`sipnic egress enable --src\`; the primary with --interface sets both itself)`,
    )
    .action(async (text: string, _o, cmd: Command) => {
      const mac = parseMac(text);
      const shown = await withEgress(cli, cmd, async (e) => {
        await e.setClusterMac(mac);
        return e.getClusterMac();
      });
      const formatted = formatMac(shown);
      cli.out(cmd, `cluster MAC → ${formatted}`, { clusterMac: formatted });
    });

  egress
    .command('list')
    .description("list every queue's destination MAC, the cluster MAC, and whether each rewrite is on")
    .addHelpText('after', '\nExample:\n  sipnic egress list --json')
    .action(async (_o, cmd: Command) => {
      const { macs, rewrite, clusterMac, rewriteSrc } = await withEgress(cli, cmd, async (e) => ({
        macs: await e.list(),
        rewrite: await e.rewriteEnabled(),
        // null: a bitstream from before the source rewrite (egress VERSION 1.0)
        clusterMac: e.hasSrcRewrite ? formatMac(await e.getClusterMac()) : null,
        rewriteSrc: e.hasSrcRewrite ? await e.srcRewriteEnabled() : null,
      }));
      const src = clusterMac === null ? 'no source rewrite in this bitstream (egress VERSION 1.0)' : `cluster mac ${clusterMac}, source rewrite ${rewriteSrc ? 'on' : 'off'}`;
      cli.out(
        cmd,
        () => `${table(['queue', 'mac'], macs.map((m) => [m.queue, m.mac]))}\nrewrite ${rewrite ? 'on' : 'off'}\n${src}`,
        { rewrite, queues: macs.length, macs, clusterMac, rewriteSrc },
      );
    });

  for (const [name, on] of [
    ['enable', true],
    ['disable', false],
  ] as const) {
    egress
      .command(name)
      .description(
        on
          ? "rewrite each queue's frames to its MAC on port 1 (--src: frames to the clients get the cluster MAC as source)"
          : 'send queue frames to port 1 unchanged (--src: frames to the clients keep their source MAC); the reset state',
      )
      .option('--src', on ? 'switch on the source rewrite instead: frames from the cluster port reach the clients with the cluster MAC as source, and untagged ARP with it as sender address' : 'switch off the source rewrite instead')
      .addHelpText('after', `\nExample:\n  sipnic egress ${name} --json\n  sipnic egress ${name} --src`)
      .action(async (o: { src?: boolean }, cmd: Command) => {
        if (o.src) {
          await withEgress(cli, cmd, (e) => e.setSrcRewrite(on));
          cli.out(cmd, `source rewrite ${on ? 'on' : 'off'}`, { rewriteSrc: on });
        } else {
          await withEgress(cli, cmd, (e) => e.setRewrite(on));
          cli.out(cmd, `rewrite ${on ? 'on' : 'off'}`, { rewrite: on });
        }
      });
  }

  return egress;
}
