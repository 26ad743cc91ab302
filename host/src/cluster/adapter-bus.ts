// The cluster adapter's register bus socket: the protocol of socket-bus.ts (SocketBus connects
// unchanged: hello/read/write/batch/own, newline-delimited JSON), with one difference in who may
// talk. `sim serve` lets one connection own the bus at a time; in a cluster the primary keeps
// its connection for its whole life, and `sipnic --socket <dir>/bus.sock flow list` must still
// answer. So here every connection is served, and requests from all connections run one at a
// time, each whole: a batch (how the driver issues every table command: stage, command, poll,
// read back) never interleaves with another request.
//
// The table's register bus has one owner at a time, and only the owner changes state:
//
//   {"id":2,"op":"own","holder":"primary (pid 42)"}   {"id":2}
//   a second own while the owner is connected         {"id":n,"error":{"code":"EBUSY","message":"... owned by primary (pid 42)"}}
//
// - The primary sends `own` when it connects (SocketBus.own); ownership ends when that
//   connection closes, so a restarted primary takes it again. `holder` names it in messages.
// - While an owner exists, another connection's request that would change state is refused,
//   whole and before any of it runs, with EBUSY ("the adapter's table belongs to the primary
//   (…); change it through the primary"): a write to any register except the tables' staging,
//   key and slot registers (STAGING below), or a write to a command register with an op that
//   changes a table (anything but the read-only ops in READ_ONLY_OPS: lookup, read slot,
//   read entry, read group). Reads and read-only table commands stay allowed, so `flow list`,
//   `listen list` and `stats` work beside the primary; `stats --clear` (core.CONTROL) does not.
//   Staging writes are harmless to the owner: each of its table commands is one batch that
//   stages everything it needs.
// - Without an owner (`cluster up --no-roles`) every connection may do everything.
import { createServer, type Server, type Socket } from 'node:net';
import { BusError, type RegisterBus } from '../bus/bus.js';
import { FLOW_OP, TABLE_CMD } from '../driver/index.js';
import { BLOCKS, type BlockName, type RegisterDef } from '../driver/regs.generated.js';
import { busAnswerer, type SimServer } from '../bus/socket-bus.js';
import { inOrderAnswers, onLines } from '../bus/ndjson.js';
import { Sequence } from '../util/sequence.js';
import { trace, tracing, traceNow } from './trace.js';
import { takeSocketPath, listenOn, closerOf } from '../bus/unix-socket.js';

/** Registers another connection may write while the bus has an owner: a table command's inputs, the walk's cursor. */
const STAGING: Partial<Record<BlockName, readonly string[]>> = {
  addr: ['SLOT', 'FAMILY', 'ADDR0', 'ADDR1', 'ADDR2', 'ADDR3'],
  // WALK_SLOT: the flow walk's cursor (every walk sets it in each of its batches, so `flow list` beside the primary works)
  // INSERT_CLASS: an insert's aging class, staged with it (the owner sets it in the same batch as each of its inserts)
  flow: ['KEY_FLAGS', 'KEY_PORTS', 'KEY_SRC0', 'KEY_SRC1', 'KEY_SRC2', 'KEY_SRC3', 'ACTION', 'INSERT_CLASS', 'SLOT', 'WALK_SLOT'],
  listen: ['SLOT', 'FLAGS', 'PORT', 'ACTION', 'GROUP', 'GROUP_QUEUE'],
};

/** Command registers and the ops on them that change nothing (every other op value is refused). */
const READ_ONLY_OPS: Partial<Record<BlockName, Readonly<Record<string, Readonly<Record<number, string>>>>>> = {
  addr: { COMMAND: { [TABLE_CMD.read]: 'read slot' } },
  flow: { COMMAND: { [FLOW_OP.lookup]: 'lookup', [FLOW_OP.readSlot]: 'read slot' } },
  listen: { COMMAND: { [TABLE_CMD.read]: 'read entry' }, GROUP_COMMAND: { [TABLE_CMD.read]: 'read group' } },
};

/** What a non-owner's write to an address does: allowed, or why not. */
export type WritePolicy = (addr: number, value: number) => { ok: true } | { ok: false; what: string };

/**
 * The write policy for an adapter whose blocks sit at `bases` (the driver's walk): by the
 * generated register names, never by literal addresses.
 */
export function writePolicy(bases: Readonly<Partial<Record<BlockName, number>>>): WritePolicy {
  const names = new Map<number, string>();
  const staging = new Set<number>();
  const commands = new Map<number, Readonly<Record<number, string>>>();
  for (const [block, base] of Object.entries(bases) as [BlockName, number | undefined][]) {
    if (base === undefined) continue;
    const regs = BLOCKS[block].registers as Record<string, RegisterDef>;
    for (const n of [...(STAGING[block] ?? []), ...Object.keys(READ_ONLY_OPS[block] ?? {})]) {
      if (!regs[n]) throw new Error(`adapter-bus: block ${block} has no register ${n} (regs.generated.ts changed?)`);
    }
    for (const [name, def] of Object.entries(regs)) {
      const count = def.array?.count ?? 1;
      for (let i = 0; i < count; i++) {
        const addr = base + def.offset + (def.array ? i * def.array.stride : 0);
        names.set(addr, def.array ? `${block}.${name}[${i}]` : `${block}.${name}`);
        if (STAGING[block]?.includes(name)) staging.add(addr);
        const ops = READ_ONLY_OPS[block]?.[name];
        if (ops) commands.set(addr, ops);
      }
    }
  }
  return (addr, value) => {
    if (staging.has(addr)) return { ok: true };
    const name = names.get(addr) ?? `0x${addr.toString(16)}`;
    const ops = commands.get(addr);
    if (ops?.[value] !== undefined) return { ok: true };
    return { ok: false, what: ops ? `op ${value} on ${name} (only ${Object.entries(ops).map(([v, n]) => `${v} ${n}`).join(', ')} may run)` : `a write to ${name}` };
  };
}

export async function serveSharedBus(
  bus: RegisterBus,
  path: string,
  info: { width: number; /** block bases (the driver's walk), for the owner's write policy */ bases: Readonly<Partial<Record<BlockName, number>>> },
): Promise<SimServer> {
  await takeSocketPath(path, 'a register bus', (m) => new BusError('EBUSY', m));
  const sockets = new Set<Socket>();
  // one request at a time, whichever connection it came from
  const requests = new Sequence();
  const mayWrite = writePolicy(info.bases);
  let owner: { socket: Socket; holder: string } | null = null;
  let connections = 0;
  const holderOf = new WeakMap<Socket, string>();

  const answer = busAnswerer<Socket>(bus, info, {
    hello: { shared: true },
    own(socket, holder) {
      if (owner && owner.socket !== socket && !owner.socket.destroyed) {
        throw new BusError('EBUSY', `the adapter's register bus is already owned by ${owner.holder}; one owner at a time`);
      }
      owner = { socket, holder: typeof holder === 'string' && holder.trim() !== '' ? holder.trim().slice(0, 200) : holderOf.get(socket)! };
    },
    /** EBUSY when `socket` is not the owner and the request would change state. */
    guard(socket, writes) {
      if (!owner || owner.socket === socket) return;
      for (const [addr, value] of writes) {
        const r = mayWrite(addr, value);
        if (!r.ok) throw new BusError('EBUSY', `the adapter's table belongs to the primary (${owner.holder}); change it through the primary (refused: ${r.what})`);
      }
    },
  });

  const server: Server = createServer((socket) => {
    sockets.add(socket);
    holderOf.set(socket, `connection ${++connections}`);
    const send = inOrderAnswers(socket);
    onLines(socket, (line) => {
      const rx = tracing ? traceNow() : 0;
      let start = 0;
      const reply = requests.run(async () => {
        if (socket.destroyed) return undefined;
        if (tracing) start = traceNow();
        return answer(line, socket);
      });
      void send(reply).then(() => {
        if (tracing && start) trace('bus', { start, tx: traceNow(), bytes: line.length }, rx);
      });
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      sockets.delete(socket);
      if (owner?.socket === socket) owner = null;
    });
  });
  await listenOn(server, path);
  return {
    path,
    width: info.width,
    close: closerOf(server, sockets, path),
  };
}
