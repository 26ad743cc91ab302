// sipnic rules load|dump — a whole rules file, applied all or nothing.
import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import { hostname } from 'node:os';
import { PartialApplyError, RuleApplyError, type Adapter } from '../driver/index.js';
import { takeOut } from '../driver/rule-set.js';
import type { Rule } from '../codec/rules.js';
import { interruptSignal } from '../util/signals.js';
import { journalInTheWay, journalOwnerAlive, journalPath, readJournal, removeJournal, targetName, writeJournal } from './load-journal.js';
import { formatRule, parseRuleLine, parseRules, RuleSyntaxError } from '../codec/rules.js';
import type { Cli } from './context.js';

const EXAMPLE_FILE = `  flow-type tcp4 src-ip 192.0.2.7 dst-ip 10.0.0.1 src-port 40001 dst-port 80 action 2
  listen tcp4 dst-ip 10.0.0.1 dst-port 80 action 1
  default action 0`;

export function rulesCommand(cli: Cli): Command {
  const rules = new Command('rules').description('rules files: one rule per line, `#` comments');

  rules
    .command('load')
    .description('apply every rule of FILE, or none if one fails (bad word, duplicate, full table, unknown queue, a dead line, Ctrl-C)')
    .argument('<file>', 'rules file')
    .addHelpText(
      'after',
      `
Example:
  sipnic rules load examples/demo.rules

A rules file:
${EXAMPLE_FILE}

All or nothing: every rule is checked first (none of the file's rules may be in the table
already); on a failure or Ctrl-C/SIGTERM the rules added so far are taken out again. If that
fails too (the line went away, a second Ctrl-C) or the process is killed, a journal says what
the table may still hold: \`sipnic rules recover\` takes it out, and another load waits for that.
Progress goes to stderr on a terminal (or with SIPNIC_PROGRESS=1).`,
    )
    .action(async (file: string, _o, cmd: Command) => {
      const text = await readFile(file, 'utf8');
      let parsed;
      try {
        parsed = parseRules(text);
      } catch (err) {
        if (err instanceof RuleSyntaxError) {
          const wrapped = new RuleSyntaxError(`${file}: ${err.message}; nothing was applied`, { word: err.word, cause: err });
          wrapped.line = err.line; // the message has it already; --json needs the field too
          throw wrapped;
        }
        throw err;
      }
      // line of each rule, for messages
      const lines: number[] = [];
      text.split(/\r?\n/).forEach((line, i) => {
        if (parseRuleLine(line, i + 1)) lines.push(i + 1);
      });
      const target = cli.target(cmd);
      const journal = journalPath(cli.io.env, target);
      const earlier = readJournal(journal);
      if (earlier) throw journalInTheWay(earlier);

      const stop = interruptSignal(cli.io.signal);
      let giveUp: ReturnType<typeof interruptSignal> | undefined;
      stop.signal.addEventListener('abort', () => {
        stop.done();
        giveUp = interruptSignal();
        cli.io.stderr(`sipnic rules: ${String(stop.signal.reason)}: stopping after the command in flight and taking the rules back out (again to leave them for \`sipnic rules recover\`)\n`);
      });
      const showProgress = (cli.io.stderrIsTTY && !cli.json(cmd)) || Boolean(cli.io.env.SIPNIC_PROGRESS);
      let journaled = false;
      try {
        const r = await cli.withAdapter(cmd, (a) =>
          a.applyRules(parsed, {
            signal: stop.signal,
            get rollbackSignal() {
              return giveUp?.signal;
            },
            onProgress: showProgress ? (n, total) => cli.io.stderr(`sipnic rules: applied ${n}/${total}\n`) : undefined,
            beforeWrite: async ({ previousDefault }) => {
              writeJournal({
                path: journal,
                target: targetName(target),
                file,
                pid: process.pid,
                host: hostname(),
                started: new Date().toISOString(),
                previousDefault: parsed.some((r) => r.kind === 'default') ? previousDefault : undefined,
                rules: parsed.map((rule, i) => ({ line: lines[i], text: formatRule(rule) })),
              });
              journaled = true;
            },
          }),
        );
        removeJournal(journal);
        cli.out(cmd, `loaded ${parsed.length} rules from ${file} (${r.flows} flow, ${r.listens} listen${r.defaultAction === undefined ? '' : `, default action ${r.defaultAction}`})`, {
          loaded: parsed.length,
          file,
          ...r,
        });
      } catch (err) {
        // the table is as before unless the rules could not all be taken back out
        if (journaled && !(err instanceof PartialApplyError)) removeJournal(journal);
        throw explainLoadError(err, file, lines, journal);
      } finally {
        stop.done();
        giveUp?.done();
      }
    });

  rules
    .command('recover')
    .description('take out what an interrupted `rules load` left in the table, and put the default action back')
    .option('--forget', 'keep the table as it is and only remove the journal')
    .addHelpText(
      'after',
      `
Example:
  sipnic rules recover          # after "the table may still hold 146 of its rules"

A load that was killed, or could not take its rules back out after a failure, leaves a journal
(in $SIPNIC_STATE_DIR, else $XDG_STATE_HOME/sipnic, else ~/.local/state/sipnic). None of
its rules was in the table before the load, so deleting the ones that are there restores the
table. Rules someone else added since, with the same key, go too.`,
    )
    .action(async (opts: { forget?: boolean }, cmd: Command) => {
      const target = cli.target(cmd);
      const journal = readJournal(journalPath(cli.io.env, target));
      if (!journal) {
        cli.out(cmd, `nothing to recover: no unfinished \`rules load\` against ${targetName(target)}`, { recovered: false, target: targetName(target) });
        return;
      }
      if (journalOwnerAlive(journal)) throw journalInTheWay(journal);
      if (opts.forget) {
        removeJournal(journal.path);
        cli.out(cmd, `forgot the unfinished load of ${journal.file} (pid ${journal.pid}); the table was left as it is`, { recovered: false, forgot: true, file: journal.file });
        return;
      }
      const rules = journal.rules.map((r) => parseRuleLine(r.text, r.line)!);
      const r = await cli.withAdapter(cmd, (a) => recoverLoad(a, rules, journal.previousDefault));
      removeJournal(journal.path);
      const dflt = journal.previousDefault === undefined ? '' : `; default action back to ${journal.previousDefault}`;
      cli.out(cmd, `took out ${r.removed} of the ${rules.length} rules of ${journal.file} (the rest were not in the table)${dflt}`, {
        recovered: true,
        file: journal.file,
        removed: r.removed,
        rules: rules.length,
        defaultAction: journal.previousDefault,
      });
    });

  rules
    .command('dump')
    .description('print the adapter\'s rules as a rules file (flows, listens, default)')
    .addHelpText('after', '\nExample:\n  sipnic rules dump > saved.rules')
    .action(async (_o, cmd: Command) => {
      const list = await cli.withAdapter(cmd, (a) => a.rules());
      cli.out(cmd, list.map(formatRule).join('\n'), { rules: list.map(formatRule) });
    });

  return rules;
}

/** The driver's error of a load, told in the file's lines. */
function explainLoadError(err: unknown, file: string, lines: readonly number[], journal: string): unknown {
  if (err instanceof PartialApplyError) {
    const where = err.left.map((l) => lines[l.index]);
    const shown = where.length > 12 ? `${where.slice(0, 12).join(', ')}, … (${where.length})` : where.join(', ');
    const failed = err.failure instanceof RuleApplyError ? `${file}:${lines[err.failure.index]}: ${err.failure.cause.message}` : err.failure.message.replace(/; took them back out: nothing was applied$/, '');
    const held = [where.length ? `the rules of lines ${shown}` : '', err.defaultLeft ? `its default action (was ${err.defaultLeft.was})` : ''].filter(Boolean).join(' and ');
    const why = err.rollbackError instanceof Error ? err.rollbackError.message : String(err.rollbackError);
    Object.assign(err, { leftLines: where, journal });
    err.message = `${failed}; taking the rules back out failed too (${why}): the table may still hold ${held} of ${file}. When the adapter answers again, \`sipnic rules recover\` takes them out (journal: ${journal})`;
    return err;
  }
  if (err instanceof RuleApplyError) {
    const wrapped = new RuleApplyError(err.index, err.rule, err.cause);
    wrapped.message = `${file}:${lines[err.index]}: ${err.cause.message}; nothing was applied`;
    wrapped.line = lines[err.index];
    return wrapped;
  }
  return err;
}

/** Deletes those of an unfinished load's rules the table holds; puts the default back. */
async function recoverLoad(a: Adapter, rules: readonly Rule[], previousDefault: number | undefined): Promise<{ removed: number }> {
  const own = rules.flatMap((rule, index) => (rule.kind === 'default' ? [] : [{ index, rule }]));
  const r = await takeOut(a, own);
  if (r.error !== undefined) throw r.error;
  if (previousDefault !== undefined) await a.setDefault(previousDefault);
  return { removed: r.removed };
}
