// sipnic regs read|write|dump — raw register access by generated name (core.SCRATCH) or address.
import { Command } from 'commander';
import { DriverError } from '../driver/index.js';
import { table, type Cli } from './context.js';

const hex = (v: number | bigint, digits: number) => `0x${v.toString(16).padStart(digits, '0')}`;

function parseValue(text: string): number {
  const t = text.trim();
  const v = /^-?(0x[0-9a-f]+|\d+)$/i.test(t) ? (t.startsWith('-') ? -Number(t.slice(1)) : Number(t)) : NaN;
  if (!Number.isInteger(v) || v < -0x80000000 || v > 0xffffffff) {
    throw new DriverError('EINVAL', `bad register value "${text}" (expected 0..0xFFFFFFFF, or -2147483648..-1)`);
  }
  return v >>> 0;
}

export function regsCommand(cli: Cli): Command {
  const regs = new Command('regs').description('raw register access (names from docs/registers.md)');

  regs
    .command('read')
    .description('read a register (64-bit counters read LO then HI)')
    .argument('<register>', 'block.NAME (core.SCRATCH, counters.DROP[2]) or a byte address (0x1c)')
    .addHelpText('after', '\nExample:\n  sipnic regs read core.QUEUES')
    .action(async (name: string, _o, cmd: Command) => {
      const { r, value } = await cli.withAdapter(cmd, async (a) => {
        const r = a.resolve(name);
        return { r, value: await a.readRegister(r) };
      });
      const digits = r.def.width === 64 ? 16 : 8;
      cli.out(cmd, `${r.name} = ${hex(value, digits)} (${value})`, { name: r.name, addr: r.addr, access: r.def.access, width: r.def.width, value });
    });

  regs
    .command('write')
    .description('write a register (read-only registers refuse)')
    .argument('<register>', 'block.NAME or a byte address')
    .argument('<value>', 'decimal, 0x hex, or negative (two\'s complement)')
    .addHelpText('after', '\nExample:\n  sipnic regs write core.SCRATCH 0x12345678')
    .action(async (name: string, text: string, _o, cmd: Command) => {
      const value = parseValue(text);
      const r = await cli.withAdapter(cmd, async (a) => {
        const r = a.resolve(name);
        await a.writeRegister(r, value);
        return r;
      });
      cli.out(cmd, `${r.name} ← ${hex(value, 8)}`, { name: r.name, addr: r.addr, value });
    });

  regs
    .command('dump')
    .description('read every readable register of every block')
    .addHelpText('after', '\nExample:\n  sipnic regs dump --json')
    .action(async (_o, cmd: Command) => {
      const rows = await cli.withAdapter(cmd, async (a) => {
        const list = a.registers();
        const values = await a.readRegisters(list);
        return list.map((r, i) => ({ name: r.name, addr: r.addr, access: r.def.access, width: r.def.width, value: values[i] })).sort((x, y) => x.addr - y.addr);
      });
      cli.out(
        cmd,
        () =>
          table(
            ['address', 'register', 'access', 'value', ''],
            rows.map((r) => [hex(r.addr, 4), r.name, r.access, r.value === undefined ? '(write-only)' : hex(r.value, r.width === 64 ? 16 : 8), r.value === undefined ? '' : String(r.value)]),
          ),
        { registers: rows.map((r) => ({ ...r, value: r.value ?? null })) },
      );
    });

  return regs;
}
