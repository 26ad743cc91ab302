// sipnic default set|show — the action for frames no rule matches.
import { Command } from 'commander';
import { parseRuleWords } from '../codec/rules.js';
import type { Cli } from './context.js';

export function defaultCommand(cli: Cli): Command {
  const def = new Command('default').description('the default action: frames no rule matches (queue 0 after reset)');

  def
    .command('set')
    .description('set the default action (a queue, or -1 to drop)')
    .argument('<words...>', 'action Q')
    .addHelpText('after', '\nExample:\n  sipnic default set action 0')
    .action(async (words: string[], _o, cmd: Command) => {
      const rule = parseRuleWords(words, 'default');
      await cli.withAdapter(cmd, (a) => a.setDefault(rule.action));
      cli.out(cmd, `default action ${rule.action}`, { defaultAction: rule.action });
    });

  def
    .command('show')
    .description('show the default action')
    .addHelpText('after', '\nExample:\n  sipnic default show --json')
    .action(async (_o, cmd: Command) => {
      const action = await cli.withAdapter(cmd, (a) => a.getDefault());
      cli.out(cmd, `default action ${action}`, { defaultAction: action });
    });

  return def;
}
