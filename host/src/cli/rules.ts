// sipnic rules load|dump — a whole rules file, applied all or nothing.
import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import { RuleApplyError } from '../driver/index.js';
import { formatRule, parseRuleLine, parseRules, RuleSyntaxError } from '../codec/rules.js';
import type { Cli } from './context.js';

const EXAMPLE_FILE = `  flow-type tcp4 src-ip 192.0.2.7 dst-ip 10.0.0.1 src-port 40001 dst-port 80 action 2
  listen tcp4 dst-ip 10.0.0.1 dst-port 80 action 1
  default action 0`;

export function rulesCommand(cli: Cli): Command {
  const rules = new Command('rules').description('rules files: one rule per line, `#` comments');

  rules
    .command('load')
    .description('apply every rule of FILE, or none if one fails (bad word, duplicate, full table, unknown queue)')
    .argument('<file>', 'rules file')
    .addHelpText('after', `\nExample:\n  sipnic rules load examples/demo.rules\n\nA rules file:\n${EXAMPLE_FILE}`)
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
      try {
        const r = await cli.withAdapter(cmd, (a) => a.applyRules(parsed));
        cli.out(cmd, `loaded ${parsed.length} rules from ${file} (${r.flows} flow, ${r.listens} listen${r.defaultAction === undefined ? '' : `, default action ${r.defaultAction}`})`, {
          loaded: parsed.length,
          file,
          ...r,
        });
      } catch (err) {
        if (err instanceof RuleApplyError) {
          const wrapped = new RuleApplyError(err.index, err.rule, err.cause);
          wrapped.message = `${file}:${lines[err.index]}: ${err.cause.message}; nothing was applied`;
          wrapped.line = lines[err.index];
          throw wrapped;
        }
        throw err;
      }
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
