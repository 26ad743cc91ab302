// sipnic flow add|del|lookup|list|clear — exact 5-tuple entries.
import { Command } from 'commander';
import type { FlowEntry } from '../driver/index.js';
import { formatIp } from '../codec/ip.js';
import { flowTypeOf, formatRule, parseRuleWords, ruleKey, type FlowRule } from '../codec/rules.js';
import { CliExit, table, withAction, type Cli } from './context.js';

const EXAMPLE = 'flow-type tcp4 src-ip 192.0.2.7 dst-ip 10.0.0.1 src-port 40001 dst-port 80 action 2';

export function flowJson(e: FlowEntry) {
  const r = e.rule;
  return {
    slot: e.slot,
    rule: formatRule(r),
    flowType: flowTypeOf(r.family, r.proto),
    srcIp: formatIp(r.srcIp, r.family),
    dstIp: formatIp(r.dstIp, r.family),
    srcPort: r.srcPort,
    dstPort: r.dstPort,
    action: e.action,
    hits: e.hits,
    ...(e.meta ? { origin: e.meta.origin, state: e.meta.state, idleMs: e.meta.idleMs, ...(e.rule.idleTimeoutMs !== undefined ? { idleTimeoutMs: e.rule.idleTimeoutMs } : {}) } : {}),
  };
}

const flowWords = (words: string[]): FlowRule => parseRuleWords(words, 'flow') as FlowRule;

export function flowCommand(cli: Cli): Command {
  const flow = new Command('flow').description('exact flow entries: one connection (5-tuple) to one queue');

  flow
    .command('add')
    .description('add an exact flow entry (the words of `ethtool -N … flow-type`)')
    .argument('<words...>', 'flow-type tcp4|udp4|tcp6|udp6 src-ip A dst-ip A src-port N dst-port N action Q')
    .addHelpText('after', `\nExample:\n  sipnic flow add ${EXAMPLE}\n  (the leading "flow-type" may be left out; action -1 drops)`)
    .action(async (words: string[], _o, cmd: Command) => {
      const rule = flowWords(words);
      const r = await cli.withAdapter(cmd, (a) => a.flows.insert(rule));
      cli.out(cmd, `added ${formatRule(rule)} (slot ${r.slot}, ${r.moves} moved)`, { added: formatRule(rule), slot: r.slot, moves: r.moves });
    });

  flow
    .command('del')
    .alias('delete')
    .description('delete the flow entry with this key (action may be left out)')
    .argument('<words...>', 'flow-type tcp4 src-ip A dst-ip A src-port N dst-port N')
    .addHelpText('after', `\nExample:\n  sipnic flow del flow-type tcp4 src-ip 192.0.2.7 dst-ip 10.0.0.1 src-port 40001 dst-port 80`)
    .action(async (words: string[], _o, cmd: Command) => {
      const rule = flowWords(withAction(words));
      const e = await cli.withAdapter(cmd, (a) => a.flows.delete(rule));
      cli.out(cmd, `deleted ${formatRule(e.rule)} (slot ${e.slot}, ${e.hits} hits)`, { deleted: formatRule(e.rule), slot: e.slot, hits: e.hits });
    });

  flow
    .command('lookup')
    .description('show the flow entry with this key (action may be left out); exit 1 when absent')
    .argument('<words...>', 'flow-type tcp4 src-ip A dst-ip A src-port N dst-port N')
    .addHelpText('after', `\nExample:\n  sipnic flow lookup tcp4 src-ip 192.0.2.7 dst-ip 10.0.0.1 src-port 40001 dst-port 80`)
    .action(async (words: string[], _o, cmd: Command) => {
      const rule = flowWords(withAction(words));
      const e = await cli.withAdapter(cmd, (a) => a.flows.lookup(rule));
      if (!e) {
        cli.out(cmd, `not found: ${ruleKey(rule)}`, { found: false, key: ruleKey(rule) });
        throw new CliExit(1);
      }
      cli.out(cmd, `${formatRule(e.rule)} (slot ${e.slot}, ${e.hits} hits)`, { found: true, ...flowJson(e) });
    });

  flow
    .command('list')
    .description('list every flow entry with its slot, action and hits; with the learning engine also who made it (host, learned), its state and how long it has been idle')
    .addHelpText('after', '\nExample:\n  sipnic flow list --json')
    .action(async (_o, cmd: Command) => {
      const { entries, info, stash } = await cli.withAdapter(cmd, async (a) => ({
        entries: await a.flows.list(),
        info: a.info,
        stash: await a.flows.stashUsed(),
      }));
      const capacity = { entries: info.flowEntries, stash: info.flowStash };
      cli.out(
        cmd,
        () =>
          (entries.length
            ? table(
                ['slot', 'type', 'src-ip', 'src-port', 'dst-ip', 'dst-port', 'action', 'hits', ...(info.learning ? ['origin', 'state', 'idle'] : [])],
                entries.map((e) => [
                  e.slot, flowTypeOf(e.rule.family, e.rule.proto), formatIp(e.rule.srcIp, e.rule.family), e.rule.srcPort, formatIp(e.rule.dstIp, e.rule.family), e.rule.dstPort, e.action, e.hits,
                  ...(e.meta ? [e.meta.origin, e.meta.origin === 'host' ? (e.rule.idleTimeoutMs ? `ages ${e.rule.idleTimeoutMs / 1000} s` : '-') : e.meta.state, `${(e.meta.idleMs / 1000).toFixed(3)} s`] : []),
                ]),
              ) + '\n'
            : '') + `${entries.length} of ${capacity.entries} entries + ${capacity.stash} stash (${stash} in the stash)`,
        { count: entries.length, capacity, stashUsed: stash, flows: entries.map(flowJson) },
      );
    });

  flow
    .command('clear')
    .description('delete every flow entry')
    .action(async (_o, cmd: Command) => {
      await cli.withAdapter(cmd, (a) => a.flows.clear());
      cli.out(cmd, 'flow table cleared', { cleared: true });
    });

  return flow;
}
