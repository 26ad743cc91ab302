// Reads of PHY registers through the board block's read-only MDIO master (rtl/nic/
// sipnic_mdio_master.v): one bus round trip per read (COMPLETED before, the command, a poll of
// BUSY). There is no write: the hardware cannot send a write frame, and the host asks for none.
import type { RegisterBus } from '../bus/bus.js';
import { DriverError } from '../driver/errors.js';
import { Ops } from '../driver/ops.js';
import { FIELDS, getField, putField, type BlockName } from '../driver/regs.generated.js';

const F = FIELDS.board;

export interface MdioRead {
  phy: number;
  reg: number;
  /** The register (0xffff when nothing answered). */
  value: number;
  /** A PHY drove the turnaround: something is at this address. */
  answered: boolean;
}

export class Mdio {
  private constructor(
    private readonly bus: RegisterBus,
    private readonly command: number,
    private readonly status: number,
  ) {}

  /** The MDIO master of an opened adapter; ENOBLOCK when it has no board block (a bare core). */
  static open(adapter: { bus: RegisterBus; has(block: BlockName): boolean; reg(block: BlockName, name: string): number }): Mdio {
    if (!adapter.has('board')) {
      throw new DriverError('ENOBLOCK', 'this adapter has no board block: PHY status needs the two-port NIC (the board, or `sipnic sim serve --pty`), not a bare core');
    }
    return new Mdio(adapter.bus, adapter.reg('board', 'MDIO_COMMAND'), adapter.reg('board', 'MDIO_STATUS'));
  }

  /** A clause 22 read of register `reg` of the PHY at address `phy`. */
  async read(phy: number, reg: number): Promise<MdioRead> {
    for (const [what, v] of [['PHY address', phy], ['register', reg]] as const) {
      if (!Number.isInteger(v) || v < 0 || v > 31) throw new DriverError('EINVAL', `MDIO ${what} ${v} is not in 0..31`);
    }
    const ops = new Ops();
    const before = ops.read(this.status);
    ops.write(this.command, (putField(F.MDIO_COMMAND.PHY, phy) | putField(F.MDIO_COMMAND.REG, reg)) >>> 0);
    const after = ops.poll(this.status, F.MDIO_STATUS.BUSY.mask);
    const r = await ops.run(this.bus);
    const done = getField(F.MDIO_STATUS.COMPLETED, r[after]);
    const expected = (getField(F.MDIO_STATUS.COMPLETED, r[before]) + 1) % 256;
    if (done !== expected) {
      // a command written while another read ran is ignored: another client is using the bus
      throw new DriverError('EHW', `MDIO read of PHY ${phy} register ${reg} did not run (reads completed went ${getField(F.MDIO_STATUS.COMPLETED, r[before])} → ${done}): is another client reading the PHYs?`);
    }
    return { phy, reg, value: getField(F.MDIO_STATUS.DATA, r[after]), answered: getField(F.MDIO_STATUS.NO_ANSWER, r[after]) === 0 };
  }
}
