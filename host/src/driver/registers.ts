// The register map as found on an adapter: the block walk (TYPE/VERSION/NEXT from address 0),
// a register's address from the bases it found, names resolved to registers (`core.SCRATCH`,
// `counters.DROP[2]`, or an address) and raw reads and writes that respect the access types.
import type { RegisterBus } from '../bus/bus.js';
import { DriverError } from './errors.js';
import { Ops } from './ops.js';
import { BLOCKS, type BlockName, type RegisterDef } from './regs.generated.js';

/** Base address of every block the walk found (optional blocks may be missing). */
export type BlockBases = Readonly<Record<BlockName, number>>;

/** A register resolved from its name (`core.SCRATCH`, `counters.DROP[2]`) or address. */
export interface ResolvedRegister {
  block: BlockName;
  name: string; // `block.REG` or `block.REG[i]`
  def: RegisterDef;
  addr: number; // byte address of the (LO) word
  index?: number;
}

export const BLOCK_NAMES = Object.keys(BLOCKS) as BlockName[];
/** Blocks a bare sipnic_core lacks: only the two-port NIC (sipnic_nic, the board) has them. */
export const OPTIONAL_BLOCKS: readonly BlockName[] = ['egress', 'board'];
const MAX_BLOCKS = 64;

const registersOf = (block: BlockName) => BLOCKS[block].registers as Record<string, RegisterDef>;

/** Byte address of a register from the block bases the walk found (array registers take an index). */
export function registerAddress(bases: BlockBases, block: BlockName, name: string, index = 0): number {
  const def = registersOf(block)[name];
  if (!def) throw new DriverError('ENOREG', `block ${block} has no register ${name}`);
  if (bases[block] === undefined) throw new DriverError('ENOBLOCK', `adapter lacks block ${block} (${BLOCKS[block].desc})`);
  if (def.array && (index < 0 || index >= def.array.count)) {
    throw new DriverError('ENOREG', `${block}.${name}[${index}]: index out of range 0..${def.array.count - 1}`);
  }
  return bases[block] + def.offset + (def.array ? index * def.array.stride : 0);
}

/** Follows NEXT from address 0 and notes where each known block starts; unknown blocks are skipped. */
export async function walkBlocks(bus: RegisterBus): Promise<Record<BlockName, number>> {
  const found: Partial<Record<BlockName, number>> = {};
  const byType = new Map<number, BlockName>(BLOCK_NAMES.map((b) => [BLOCKS[b].type, b]));
  let addr = 0;
  for (let n = 0; n < MAX_BLOCKS; n++) {
    const ops = new Ops();
    ops.read(addr);
    ops.read(addr + 4);
    ops.read(addr + 8);
    const [type, version, next] = await ops.run(bus);
    const name = byType.get(type);
    if (name === undefined) {
      if (addr === 0) throw new DriverError('ENODEV', `no sipnic adapter on this bus: type 0x${type.toString(16).padStart(8, '0')} at address 0`);
      // an unknown block: skip it, as a newer adapter may add blocks
    } else {
      if (version >>> 16 !== BLOCKS[name].version >>> 16) {
        throw new DriverError('EVERSION', `block ${name} has version 0x${version.toString(16)}; this driver knows major version ${BLOCKS[name].version >>> 16}`);
      }
      if (found[name] === undefined) found[name] = addr;
    }
    if (next === 0) break;
    if (next <= addr || next % 4 !== 0) throw new DriverError('EHW', `block at 0x${addr.toString(16)} points NEXT to 0x${next.toString(16)}`);
    addr = next;
  }
  const missing = BLOCK_NAMES.filter((b) => found[b] === undefined && !OPTIONAL_BLOCKS.includes(b));
  if (missing.length) throw new DriverError('ENOBLOCK', `adapter lacks block${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
  return found as Record<BlockName, number>;
}

/** Resolves `block.REG`, `block.REG[i]` or a numeric address (0x1c) to a register. */
export function resolveRegister(bases: BlockBases, text: string): ResolvedRegister {
  const named = /^([a-z]+)\.([A-Z0-9_]+)(?:\[(\d+)\])?$/i.exec(text.trim());
  if (named) {
    const block = named[1].toLowerCase() as BlockName;
    if (!BLOCK_NAMES.includes(block)) throw new DriverError('ENOREG', `no block "${named[1]}" (blocks: ${BLOCK_NAMES.join(', ')})`);
    const name = named[2].toUpperCase();
    const def = registersOf(block)[name];
    if (!def) {
      throw new DriverError('ENOREG', `block ${block} has no register "${named[2]}" (registers: ${Object.keys(BLOCKS[block].registers).join(', ')})`);
    }
    if (def.array && named[3] === undefined) throw new DriverError('ENOREG', `${block}.${name} is an array of ${def.array.count}: name one as ${block}.${name}[i]`);
    if (!def.array && named[3] !== undefined) throw new DriverError('ENOREG', `${block}.${name} is not an array`);
    const index = named[3] === undefined ? undefined : Number(named[3]);
    const full = index === undefined ? `${block}.${name}` : `${block}.${name}[${index}]`;
    return { block, name: full, def, addr: registerAddress(bases, block, name, index), index };
  }
  const addr = /^(0x[0-9a-f]+|\d+)$/i.test(text.trim()) ? Number(text.trim()) : NaN;
  if (!Number.isInteger(addr)) throw new DriverError('ENOREG', `"${text}" is neither a register name (like core.SCRATCH) nor an address (like 0x1c)`);
  for (const block of BLOCK_NAMES) {
    if (bases[block] === undefined) continue;
    for (const [name, def] of Object.entries(registersOf(block))) {
      const count = def.array?.count ?? 1;
      for (let i = 0; i < count; i++) {
        const a = bases[block] + def.offset + (def.array ? i * def.array.stride : 0);
        if (addr === a || (def.width === 64 && addr === a + 4)) {
          const full = def.array ? `${block}.${name}[${i}]` : `${block}.${name}`;
          return { block, name: full, def, addr: a, index: def.array ? i : undefined };
        }
      }
    }
  }
  throw new DriverError('ENOREG', `no register at address 0x${addr.toString(16)}`);
}

/** Every register of every block found (arrays expanded; queue arrays to the adapter's queues). */
export function listRegisters(bases: BlockBases, queues: number): ResolvedRegister[] {
  const out: ResolvedRegister[] = [];
  for (const block of BLOCK_NAMES) {
    if (bases[block] === undefined) continue;
    for (const [name, def] of Object.entries(registersOf(block))) {
      if (!def.array) {
        out.push({ block, name: `${block}.${name}`, def, addr: registerAddress(bases, block, name) });
        continue;
      }
      const count = name.startsWith('Q_') || (block === 'egress' && name.startsWith('MAC_')) ? Math.min(def.array.count, queues) : def.array.count;
      for (let i = 0; i < count; i++) out.push({ block, name: `${block}.${name}[${i}]`, def, addr: registerAddress(bases, block, name, i), index: i });
    }
  }
  return out;
}

/** Reads a register: 64-bit registers LO then HI, as a bigint; 32-bit as a number. */
export async function readRegister(bus: RegisterBus, r: ResolvedRegister): Promise<number | bigint> {
  if (r.def.access === 'wo') throw new DriverError('EACCESS', `${r.name} is write-only`);
  if (r.def.width === 64) {
    const ops = new Ops();
    ops.read(r.addr);
    ops.read(r.addr + 4);
    const [lo, hi] = await ops.run(bus);
    return (BigInt(hi) << 32n) | BigInt(lo);
  }
  return bus.read(r.addr);
}

/** Reads readable registers in one batch (64-bit ones LO then HI); write-only ones give undefined. */
export async function readRegisters(bus: RegisterBus, list: readonly ResolvedRegister[]): Promise<(number | bigint | undefined)[]> {
  const ops = new Ops();
  const at = list.map((r) => {
    if (r.def.access === 'wo') return -1;
    const i = ops.read(r.addr);
    if (r.def.width === 64) ops.read(r.addr + 4);
    return i;
  });
  const v = await ops.run(bus);
  return list.map((r, k) => {
    const i = at[k];
    if (i < 0) return undefined;
    return r.def.width === 64 ? (BigInt(v[i + 1]) << 32n) | BigInt(v[i]) : v[i];
  });
}

/** Writes a 32-bit register (negative values as two's complement); read-only ones refuse. */
export async function writeRegister(bus: RegisterBus, r: ResolvedRegister, value: number): Promise<void> {
  if (r.def.access === 'ro') throw new DriverError('EACCESS', `${r.name} is read-only`);
  if (!Number.isInteger(value) || value < -0x80000000 || value > 0xffffffff) {
    throw new DriverError('EINVAL', `value ${value} does not fit a 32-bit register`);
  }
  await bus.write(r.addr, value >>> 0);
}
