// The serial-line root options (--device, --baud, --uartbone) and the help that says every
// table command takes them. Cli.target() (context.ts) decides between device and socket.
import type { Command } from 'commander';
import { parseBaud } from './context.js';

/** The commands that talk to an adapter's tables and registers. */
export const TABLE_COMMANDS = ['flow', 'listen', 'default', 'rules', 'stats', 'regs', 'egress'];

const EXAMPLE_DEVICE = '/dev/ttyUSB0';

/** Adds --device, --baud and --uartbone to the root, and a serial example to each table command's help. */
export function addDeviceOptions(program: Command): void {
  program
    .option('--device <path>', 'serial device of the board or of `sipnic sim serve --pty` (env SIPNIC_DEVICE); used instead of the socket')
    .option('--baud <n>', 'line rate of --device in bits per second (env SIPNIC_BAUD; default 115200)', (v: string) => parseBaud(v))
    .option('--uartbone', "with --device: plain LiteX UARTBone framing (no CRC, no retries of writes) instead of sipnic's reliable commands")
    .addHelpText(
      'after',
      `\nOver a serial line (the board, or a simulated board from \`sipnic sim serve --pty\`):\n  sipnic flow list --device ${EXAMPLE_DEVICE} --baud 115200 --json\n` +
        'The adapter is --device, else --socket, else $SIPNIC_DEVICE, else the socket of `sipnic sim serve`.',
    );
  const visit = (cmd: Command, path: string) => {
    const args = cmd.registeredArguments.length ? ' …' : '';
    cmd.addHelpText('after', `\nOver a serial line (the board, or \`sipnic sim serve --pty\`):\n  sipnic ${path}${args} --device ${EXAMPLE_DEVICE} [--baud 115200]`);
    for (const sub of cmd.commands) visit(sub, `${path} ${sub.name()}`);
  };
  for (const cmd of program.commands) if (TABLE_COMMANDS.includes(cmd.name())) visit(cmd, cmd.name());
}
