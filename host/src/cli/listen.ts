// sipnic listen add|del|list|clear — (protocol, dst-ip, dst-port) entries for new connections.
import { Command } from 'commander';
import type { ListenEntry } from '../driver.js';
import { formatIp } from '../ip.js';
import { flowTypeOf, formatRule, parseRuleWords, type ListenRule } from '../rules.js';
import { table, withAction, type Cli } from './context.js';

const EXAMPLE = 'tcp4 dst-ip 10.0.0.1 dst-port 80 action 1';

const listenJson = (e: ListenEntry) => ({
  entry: e.entry,
  rule: formatRule(e.rule),
  flowType: flowTypeOf(e.rule.family, e.rule.proto),
  dstIp: formatIp(e.rule.dstIp, e.rule.family),
  dstPort: e.rule.dstPort,
  action: e.rule.action,
});

const listenWords = (words: string[]): ListenRule => parseRuleWords(words, 'listen') as ListenRule;

export function listenCommand(cli: Cli): Command {
  const listen = new Command('listen').description('listen entries: TCP SYNs (without ACK) and UDP to a port, to one queue');

  listen
    .command('add')
    .description('add a listen entry')
    .argument('<words...>', 'tcp4|udp4|tcp6|udp6 dst-ip A dst-port N action Q')
    .addHelpText('after', `\nExample:\n  sipnic listen add ${EXAMPLE}`)
    .action(async (words: string[], _o, cmd: Command) => {
      const rule = listenWords(words);
      const r = await cli.withAdapter(cmd, (a) => a.listens.add(rule));
      cli.out(cmd, `added ${formatRule(rule)} (entry ${r.entry})`, { added: formatRule(rule), entry: r.entry });
    });

  listen
    .command('del')
    .alias('delete')
    .description('delete the listen entry with this key (action may be left out)')
    .argument('<words...>', 'tcp4|udp4|tcp6|udp6 dst-ip A dst-port N')
    .addHelpText('after', '\nExample:\n  sipnic listen del tcp4 dst-ip 10.0.0.1 dst-port 80')
    .action(async (words: string[], _o, cmd: Command) => {
      const rule = listenWords(withAction(words));
      const e = await cli.withAdapter(cmd, (a) => a.listens.remove(rule));
      cli.out(cmd, `deleted ${formatRule(e.rule)} (entry ${e.entry})`, { deleted: formatRule(e.rule), entry: e.entry });
    });

  listen
    .command('list')
    .description('list the listen entries (the lowest entry wins)')
    .addHelpText('after', '\nExample:\n  sipnic listen list --json')
    .action(async (_o, cmd: Command) => {
      const { entries, capacity } = await cli.withAdapter(cmd, async (a) => ({ entries: await a.listens.list(), capacity: a.listens.capacity }));
      cli.out(
        cmd,
        () =>
          (entries.length
            ? table(
                ['entry', 'type', 'dst-ip', 'dst-port', 'action'],
                entries.map((e) => [e.entry, flowTypeOf(e.rule.family, e.rule.proto), formatIp(e.rule.dstIp, e.rule.family), e.rule.dstPort, e.rule.action]),
              ) + '\n'
            : '') + `${entries.length} of ${capacity} entries`,
        { count: entries.length, capacity, listens: entries.map(listenJson) },
      );
    });

  listen
    .command('clear')
    .description('delete every listen entry')
    .action(async (_o, cmd: Command) => {
      await cli.withAdapter(cmd, (a) => a.listens.clear());
      cli.out(cmd, 'listen table cleared', { cleared: true });
    });

  return listen;
}
