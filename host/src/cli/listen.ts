// sipnic listen add|update|del|list|clear — (protocol, dst-ip, dst-port) entries for new
// connections; `action 1,2,3` shares the port among queues (a queue group, docs/semantics.md).
import { Command } from 'commander';
import type { ListenEntry } from '../driver/index.js';
import { formatIp } from '../codec/ip.js';
import { flowTypeOf, formatAction, formatRule, parseRuleWords, type ListenRule } from '../codec/rules.js';
import { table, withAction, type Cli } from './context.js';

const EXAMPLE = 'tcp4 dst-ip 10.0.0.1 dst-port 80 action 1';
const SHARED_EXAMPLE = 'tcp4 dst-ip 10.0.0.1 dst-port 8080 action 1,2,3';

const listenJson = (e: ListenEntry) => ({
  entry: e.entry,
  rule: formatRule(e.rule),
  flowType: flowTypeOf(e.rule.family, e.rule.proto),
  dstIp: formatIp(e.rule.dstIp, e.rule.family),
  dstPort: e.rule.dstPort,
  action: e.rule.action,
  ...(e.group === undefined ? {} : { group: e.group }),
});

const listenWords = (words: string[]): ListenRule => parseRuleWords(words, 'listen');
const groupNote = (group: number | undefined) => (group === undefined ? '' : `, group ${group}`);

export function listenCommand(cli: Cli): Command {
  const listen = new Command('listen').description('listen entries: TCP SYNs (without ACK) and UDP to a port, to one queue or shared among several');

  listen
    .command('add')
    .description('add a listen entry; action 1,2,3 shares the port among those queues')
    .argument('<words...>', 'tcp4|udp4|tcp6|udp6 dst-ip A dst-port N action Q|Q1,Q2,…')
    .addHelpText('after', `\nExamples:\n  sipnic listen add ${EXAMPLE}\n  sipnic listen add ${SHARED_EXAMPLE}`)
    .action(async (words: string[], _o, cmd: Command) => {
      const rule = listenWords(words);
      const r = await cli.withAdapter(cmd, (a) => a.listens.add(rule));
      cli.out(cmd, `added ${formatRule(rule)} (entry ${r.entry}${groupNote(r.group)})`, { added: formatRule(rule), entry: r.entry, ...(r.group === undefined ? {} : { group: r.group }) });
    });

  listen
    .command('update')
    .alias('set')
    .description('change the action of a listen entry in place (it keeps matching throughout)')
    .argument('<words...>', 'tcp4|udp4|tcp6|udp6 dst-ip A dst-port N action Q|Q1,Q2,…')
    .addHelpText('after', '\nExample:\n  sipnic listen update tcp4 dst-ip 10.0.0.1 dst-port 8080 action 1,3')
    .action(async (words: string[], _o, cmd: Command) => {
      const rule = listenWords(words);
      const r = await cli.withAdapter(cmd, (a) => a.listens.update(rule));
      cli.out(cmd, `updated ${formatRule(rule)} (entry ${r.entry}${groupNote(r.group)}; was action ${formatAction(r.previous)})`, {
        updated: formatRule(rule),
        entry: r.entry,
        previous: r.previous,
        ...(r.group === undefined ? {} : { group: r.group }),
      });
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
    .description('list the listen entries (the lowest entry wins); a shared port shows its queues and group')
    .addHelpText('after', '\nExample:\n  sipnic listen list --json')
    .action(async (_o, cmd: Command) => {
      const { entries, capacity, groups } = await cli.withAdapter(cmd, async (a) => ({
        entries: await a.listens.list(),
        capacity: a.listens.capacity,
        groups: { capacity: a.listens.groupCapacity, used: a.listens.groups().length },
      }));
      cli.out(
        cmd,
        () =>
          (entries.length
            ? table(
                ['entry', 'type', 'dst-ip', 'dst-port', 'action', 'group'],
                entries.map((e) => [
                  e.entry,
                  flowTypeOf(e.rule.family, e.rule.proto),
                  formatIp(e.rule.dstIp, e.rule.family),
                  e.rule.dstPort,
                  formatAction(e.rule.action),
                  e.group === undefined ? '' : String(e.group),
                ]),
              ) + '\n'
            : '') + `${entries.length} of ${capacity} entries, ${groups.used} of ${groups.capacity} queue groups in use`,
        { count: entries.length, capacity, groups, listens: entries.map(listenJson) },
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
