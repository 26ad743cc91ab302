// sipnic flow add|del|lookup|list|clear|events — exact 5-tuple entries, and the adapter's own
// changes to them (the event queue).
import { setTimeout as sleep } from 'node:timers/promises';
import { Command, InvalidArgumentError } from 'commander';
import type { Adapter, FlowEntry, FlowEvent } from '../driver/index.js';
import { formatIp } from '../codec/ip.js';
import { flowTypeOf, formatRule, parseRuleWords, ruleKey, type FlowRule } from '../codec/rules.js';
import { interruptSignal } from '../util/signals.js';
import { CliExit, table, withAction, type Cli } from './context.js';

const EXAMPLE = 'flow-type tcp4 src-ip 192.0.2.7 dst-ip 10.0.0.1 src-port 40001 dst-port 80 action 2';

/** A flow rule's key as the JSON of `flow list` and `flow events` gives it. */
function ruleJson(r: FlowRule) {
  return {
    rule: formatRule(r),
    flowType: flowTypeOf(r.family, r.proto),
    srcIp: formatIp(r.srcIp, r.family),
    dstIp: formatIp(r.dstIp, r.family),
    srcPort: r.srcPort,
    dstPort: r.dstPort,
  };
}

export function flowJson(e: FlowEntry) {
  return {
    slot: e.slot,
    ...ruleJson(e.rule),
    action: e.action,
    hits: e.hits,
    ...(e.meta ? { origin: e.meta.origin, state: e.meta.state, idleMs: e.meta.idleMs, ...(e.rule.idleTimeoutMs !== undefined ? { idleTimeoutMs: e.rule.idleTimeoutMs } : {}) } : {}),
  };
}

/** One event as `flow events --json` prints it (one object per line). */
export function eventJson(e: FlowEvent) {
  return {
    type: e.type,
    ...(e.state ? { state: e.state } : {}),
    ...(e.reason ? { reason: e.reason } : {}),
    action: e.action,
    ...ruleJson(e.rule),
  };
}

/** One event as a text line: what happened, then the entry as a rule. */
export function eventLine(e: FlowEvent): string {
  const what = e.type === 'aged' ? `aged (${e.state})` : e.type === 'refused' ? `refused (${e.reason})` : 'learned';
  return `${what.padEnd(19)} ${formatRule(e.rule)}`;
}

const EVENTS_HELP = `
The adapter's learning engine changes the flow table itself: it learns an entry from each TCP SYN
to a \`learn\` listen rule and ages entries out. With the event queue (flow version 2.3, flow
FEATURES.EVENTS) it writes a record for each such change; this command reads them in order and
prints one line each (with --json, one JSON object per line, NDJSON, for scripts):
  learned             an entry the adapter added (its action: the queue it learned)
  aged (STATE)        an entry it removed: a learned one that was embryonic, established or closing,
                      or a host entry with an idle timeout (host)
  refused (REASON)    with --refusals: a SYN it did not learn, at the embryonic quota (quota) or a
                      full table (full); refusal records are written only while the queue is at
                      most half full (EVENT_SKIPPED counts the others)
The queue is off at reset: this command turns it on if it is off and says so on stderr; records
are written from then on (\`sipnic flow list\` shows what the table holds already).

One reader: each read takes the records it reads out of the queue. When a cluster runs, the
primary (\`sipnic primary\` with hardware pinning) is the queue's reader: it follows the adapter's
learned entries with it. A second reader (this command beside a running primary) splits the
records between the two, and each sees a table with holes; use \`sipnic cluster status\` or
\`sipnic flow list\` there instead.

Overflow: the queue holds EVENT_DEPTH records. When it is full, learned and aged records are lost
and EVENT_OVERFLOW counts them; the reader's copy of the table is then stale. This command prints
"overflow: …" (--json: {"type":"overflow"}) and goes on; a primary walks the table again.

Examples:
  sipnic flow events                       # what is waiting now
  sipnic flow events --follow --json       # until Ctrl-C, one JSON object per event
  sipnic flow events --follow --refusals`;

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

  flow
    .command('events')
    .description("read the adapter's event queue: the entries it learned, aged out or refused (flow version 2.3)")
    .option('--follow', 'keep reading until Ctrl-C (SIGINT) or SIGTERM; the queue stays on')
    .option('--refusals', 'also have the adapter write a record for each SYN it refuses to learn')
    .option('--interval <ms>', 'with --follow: how long to wait when the queue is empty', parseInterval, 200)
    .addHelpText('after', EVENTS_HELP)
    .action(async (o: { follow?: boolean; refusals?: boolean; interval: number }, cmd: Command) => {
      await cli.withAdapter(cmd, (a) => followEvents(cli, cmd, a, o));
    });

  return flow;
}

function parseInterval(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n < 1 || n > 60_000) throw new InvalidArgumentError(`--interval ${text} is not a number of milliseconds in 1..60000`);
  return n;
}

/** `flow events`: turns the queue on when it is off, then reads until it is empty (--follow: until stopped). */
async function followEvents(cli: Cli, cmd: Command, a: Adapter, o: { follow?: boolean; refusals?: boolean; interval: number }): Promise<void> {
  const json = cli.json(cmd);
  const note = (line: string) => cli.io.stderr(`sipnic flow events: ${line}\n`);
  const before = await a.events.status();
  if (!before.enabled) {
    await a.events.enable({ refusals: Boolean(o.refusals) });
    note(`the event queue was off: turned it on${o.refusals ? ' with refusal records' : ''} (records from now on; \`sipnic flow list\` shows what the table holds already)`);
  } else if (o.refusals && !before.refusals) {
    await a.events.enable({ refusals: true });
    note('refusal records turned on');
  }
  const stop = o.follow ? interruptSignal(cli.io.signal) : undefined;
  let count = 0;
  try {
    for (;;) {
      const r = await a.events.read();
      if (r.overflowed) {
        if (json) cli.io.stdout(JSON.stringify({ type: 'overflow' }) + '\n');
        else cli.io.stdout('overflow: the queue was full and records were lost (EVENT_OVERFLOW moved): `sipnic flow list` shows what the table holds\n');
      }
      for (const e of r.events) cli.io.stdout((json ? JSON.stringify(eventJson(e)) : eventLine(e)) + '\n');
      count += r.events.length;
      if (r.pending > 0) continue;
      if (!stop || stop.signal.aborted) break;
      // stopped while waiting: the read in flight (if any) was printed whole, nothing is turned off
      const stopped = await sleep(o.interval, false, { signal: stop.signal }).catch(() => true);
      if (stopped) break;
    }
  } finally {
    stop?.done();
  }
  if (!json) {
    const s = await a.events.status();
    note(`${count} event${count === 1 ? '' : 's'}; the queue holds ${s.depth} records, ${s.pending} waiting; since reset ${s.overflow} lost to a full queue, ${s.skipped} refusals not written`);
  }
}
