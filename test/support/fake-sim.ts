// A register-level stand-in for the Verilated model (sim/addon.ts), for host tests that must
// run without the addon: the register map of docs/registers.md with simple tables and a
// minimal parser (no VLAN tags). Not a model of the data path: the differential tests are.
import { BLOCKS } from '../../host/src/driver/regs.generated.js';
import type { Sim, SimResults } from '../../sim/addon.js';

// egress, board: the blocks of sipnic_nic (the board), which a bare core and this stand-in lack
const BASE = { core: 0x000, addr: 0x100, flow: 0x200, listen: 0x300, counters: 0x400, egress: 0x700, board: 0x800 } as const;
const R = <B extends keyof typeof BLOCKS>(b: B, r: keyof (typeof BLOCKS)[B]['registers']): number =>
  BASE[b] + (BLOCKS[b].registers as Record<string, { offset: number }>)[r as string].offset;

export interface FakeParams { queues?: number; flowEntries?: number; ways?: number; stash?: number; listenEntries?: number; slots?: number }

export function createFakeSim(options: { width: 8 | 64 } & FakeParams): Sim {
  const Q = options.queues ?? 8, E = options.flowEntries ?? 4096, W = options.ways ?? 4, S = options.stash ?? 8;
  const L = options.listenEntries ?? 32, A = options.slots ?? 16;
  const regs = new Map<number, number>();
  let cycles = 0;
  let defaultAction = 0, frameId = 0;
  const addrSlots: { family: number; a: number[] }[] = Array.from({ length: A }, () => ({ family: 0, a: [0, 0, 0, 0] }));
  type Entry = { flags: number; ports: number; src: number[]; action: number; hits: number };
  const flow: (Entry | undefined)[] = new Array(E + S);
  const listen = Array.from({ length: L }, () => ({ flags: 0, port: 0, action: 0 }));
  let status = 0, completed = 0, lastMoves = 0;
  let res: { e?: Entry; slot: number } = { slot: 0 };
  const counters = new Map<number, bigint>();
  let latchedHi = 0;
  const bump = (off: number, by: number | bigint = 1n) => counters.set(off, (counters.get(off) ?? 0n) + BigInt(by));
  const keyOf = (flags: number, ports: number, src: number[]) => `${flags & 0xf03}|${ports >>> 0}|${src.join(',')}`;
  const keyReg = () => keyOf(regs.get(R('flow', 'KEY_FLAGS')) ?? 0, regs.get(R('flow', 'KEY_PORTS')) ?? 0,
    [0, 1, 2, 3].map((i) => (regs.get(R('flow', 'KEY_SRC0') + 4 * i) ?? 0) >>> 0));
  const hash = (key: string, way: number) => {
    let h = 2166136261 ^ way;
    for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 16777619);
    return way * (E / W) + ((h >>> 0) % (E / W));
  };
  const findKey = (key: string) => {
    for (let s = 0; s < E + S; s++) { const e = flow[s]; if (e && keyOf(e.flags, e.ports, e.src) === key) return s; }
    return -1;
  };
  const enc = (a: number) => ((a | 0) < 0 ? 0x80 : a & 0x7f);
  const dec = (a: number) => (a & 0x80 ? -1 : a & 0x7f);
  function flowCommand(op: number) {
    const key = keyReg();
    status = 0;
    if (op === 1) {
      const at = findKey(key);
      if (at >= 0) { status = 1; res = { e: flow[at], slot: at }; }
      else {
        let slot = -1;
        for (let w = 0; w < W && slot < 0; w++) if (!flow[hash(key, w)]) slot = hash(key, w);
        for (let s = 0; s < S && slot < 0; s++) if (!flow[E + s]) slot = E + s;
        if (slot < 0) status = 2;
        else {
          const src = [0, 1, 2, 3].map((i) => (regs.get(R('flow', 'KEY_SRC0') + 4 * i) ?? 0) >>> 0);
          flow[slot] = { flags: (regs.get(R('flow', 'KEY_FLAGS')) ?? 0) & 0xf03, ports: (regs.get(R('flow', 'KEY_PORTS')) ?? 0) >>> 0, src, action: enc(regs.get(R('flow', 'ACTION')) ?? 0), hits: 0 };
          res = { e: flow[slot], slot };
          lastMoves = 0;
        }
      }
    } else if (op === 2 || op === 3) {
      const at = findKey(key);
      if (at < 0) { status = 3; res = { slot: 0 }; }
      else { res = { e: flow[at], slot: at }; if (op === 2) flow[at] = undefined; }
    } else if (op === 4) {
      const slot = regs.get(R('flow', 'SLOT')) ?? 0;
      res = { e: flow[slot], slot };
    } else if (op === 5) flow.fill(undefined);
    completed = (completed + 1) & 0xffff;
  }
  // the flow walk (WALK_SLOT, WALK_DATA): a record per slot, 1 word when empty, 8 when live (RES_META 0: no learning)
  let walkSlot = 0;
  let walkWord = 0;
  function walkRead(): number {
    const e = walkSlot < E + S ? flow[walkSlot] : undefined;
    if (!e) { walkSlot++; walkWord = 0; return 0; }
    const words = [(0x80000000 | (e.action << 16) | e.flags) >>> 0, e.ports, ...e.src, e.hits, 0];
    const w = words[walkWord++];
    if (walkWord === words.length) { walkSlot++; walkWord = 0; }
    return w;
  }
  function read(addr: number): number {
    cycles += 2;
    const c = addr - BASE.counters;
    if (c >= 0x10 && c < 0x300) {
      if (c % 8 === 0) { const v = counters.get(c) ?? 0n; latchedHi = Number(v >> 32n); return Number(v & 0xffffffffn); }
      return latchedHi;
    }
    for (const [b, base] of Object.entries(BASE)) {
      if (addr === base) return BLOCKS[b as keyof typeof BLOCKS].type;
      if (addr === base + 4) return BLOCKS[b as keyof typeof BLOCKS].version;
      if (addr === base + 8) return b === 'counters' ? 0 : base + 0x100;
    }
    switch (addr) {
      case R('core', 'DATA_WIDTH'): return options.width;
      case R('core', 'QUEUES'): return Q;
      case R('core', 'MAX_FRAME'): return 9022;
      case R('core', 'QUEUE_FIFO_BYTES'): return 16384;
      case R('core', 'DEFAULT_ACTION'): return defaultAction < 0 ? 0xffffffff : defaultAction;
      case R('core', 'FRAME_ID'): return frameId;
      case R('addr', 'SLOTS'): return A;
      case R('flow', 'ENTRIES'): return E;
      case R('flow', 'WAYS'): return W;
      case R('flow', 'STASH'): return S;
      case R('flow', 'COUNT'): return flow.filter(Boolean).length;
      case R('flow', 'STASH_USED'): return flow.slice(E).filter(Boolean).length;
      case R('flow', 'STATUS'): return ((completed << 16) | (status << 4)) >>> 0;
      case R('flow', 'RES_FLAGS'): return res.e ? (0x80000000 | res.e.flags) >>> 0 : 0;
      case R('flow', 'RES_PORTS'): return res.e?.ports ?? 0;
      case R('flow', 'RES_ACTION'): return res.e ? (dec(res.e.action) >>> 0) : 0;
      case R('flow', 'RES_SLOT'): return res.slot;
      case R('flow', 'RES_HITS'): return res.e?.hits ?? 0;
      case R('flow', 'LAST_MOVES'): return lastMoves;
      case R('flow', 'LOOKUP_LATENCY'): return 4;
      case R('flow', 'WALK_SLOT'): return walkSlot;
      case R('flow', 'WALK_DATA'): return walkRead();
      case R('listen', 'ENTRIES'): return L;
    }
    if (addr >= R('flow', 'RES_SRC0') && addr <= R('flow', 'RES_SRC3')) return res.e?.src[(addr - R('flow', 'RES_SRC0')) / 4] ?? 0;
    return (regs.get(addr) ?? 0) >>> 0;
  }
  function write(addr: number, value: number): void {
    cycles += 2;
    value >>>= 0;
    if (addr === R('core', 'DEFAULT_ACTION')) defaultAction = value | 0;
    else if (addr === R('core', 'CONTROL')) { if (value & 1) counters.clear(); }
    else if (addr === R('addr', 'COMMAND')) {
      const slot = regs.get(R('addr', 'SLOT')) ?? 0;
      const at = [0, 1, 2, 3].map((i) => R('addr', 'ADDR0') + 4 * i);
      if (value === 1) addrSlots[slot] = { family: regs.get(R('addr', 'FAMILY')) ?? 0, a: at.map((x) => regs.get(x) ?? 0) };
      else if (value === 2) { regs.set(R('addr', 'FAMILY'), addrSlots[slot].family); at.forEach((x, i) => regs.set(x, addrSlots[slot].a[i])); }
    } else if (addr === R('listen', 'COMMAND')) {
      const slot = regs.get(R('listen', 'SLOT')) ?? 0;
      if (value === 1) listen[slot] = { flags: regs.get(R('listen', 'FLAGS')) ?? 0, port: regs.get(R('listen', 'PORT')) ?? 0, action: enc(regs.get(R('listen', 'ACTION')) ?? 0) };
      else if (value === 2) { regs.set(R('listen', 'FLAGS'), listen[slot].flags); regs.set(R('listen', 'PORT'), listen[slot].port); regs.set(R('listen', 'ACTION'), dec(listen[slot].action) >>> 0); }
    } else if (addr === R('flow', 'COMMAND')) flowCommand(value);
    else if (addr === R('flow', 'WALK_SLOT')) { walkSlot = value; walkWord = 0; }
    else regs.set(addr, value);
  }
  // traffic: IPv4/IPv6 TCP/UDP without tags; enough for host tests
  const pendingFrames: Uint8Array[] = [];
  const out: { id: number; queue: number; reason: number; data: Uint8Array }[] = [];
  function decide(f: Uint8Array): number {
    if (f.length < 14 || f.length > 9022) return f.length < 14 ? -101 : -102;
    const et = (f[12] << 8) | f[13];
    let fam = 0, proto = 0, l4 = 0, src: number[] = [], dst: number[] = [];
    const w = (o: number) => ((f[o] << 24) | (f[o + 1] << 16) | (f[o + 2] << 8) | f[o + 3]) >>> 0;
    if (et === 0x0800 && f.length >= 34 && f[14] >> 4 === 4) { fam = 4; proto = f[23]; l4 = 14 + (f[14] & 15) * 4; src = [0, 0, 0, w(26)]; dst = [0, 0, 0, w(30)]; if ((w(20) >>> 16) & 0x3fff) fam = 0; }
    else if (et === 0x86dd && f.length >= 54) { fam = 6; proto = f[20]; l4 = 54; src = [0, 1, 2, 3].map((i) => w(22 + 4 * i)); dst = [0, 1, 2, 3].map((i) => w(38 + 4 * i)); }
    let action = defaultAction, via: 'FLOW_HITS' | 'LISTEN_HITS' | 'DEFAULT_HITS' = 'DEFAULT_HITS';
    if (fam && (proto === 6 || proto === 17) && f.length >= l4 + (proto === 6 ? 20 : 8)) {
      const slot = addrSlots.findIndex((s) => s.family === fam && s.a.every((x, i) => x >>> 0 === dst[i]));
      if (slot >= 0) {
        const flags = (fam === 6 ? 1 : 0) | (proto === 17 ? 2 : 0) | (slot << 8);
        const sp = (f[l4] << 8) | f[l4 + 1], dp = (f[l4 + 2] << 8) | f[l4 + 3];
        const at = findKey(keyOf(flags, ((sp << 16) | dp) >>> 0, src));
        const tcpFlags = f[l4 + 13];
        if (at >= 0) { flow[at]!.hits++; action = dec(flow[at]!.action); via = 'FLOW_HITS'; }
        else {
          const li = listen.findIndex((e) => e.flags >>> 31 && (e.flags & 0xf03) === flags && (e.port & 0xffff) === dp);
          if (li >= 0 && (proto === 17 || ((tcpFlags & 2) && !(tcpFlags & 0x10)))) { action = dec(listen[li].action); via = 'LISTEN_HITS'; }
        }
      }
    }
    bump(R('counters', via as 'FLOW_HITS') - BASE.counters);
    return action;
  }
  const results = (): SimResults => {
    const n = out.length;
    const lengths = Uint32Array.from(out, (o) => o.data.length);
    const data = new Uint8Array(lengths.reduce((a, b) => a + b, 0));
    let at = 0;
    for (const o of out) { data.set(o.data, at); at += o.data.length; }
    const r: SimResults = { ids: Uint32Array.from(out, (o) => o.id), queues: Int32Array.from(out, (o) => o.queue), reasons: Uint8Array.from(out, (o) => o.reason), lengths, data, inCycles: new Float64Array(n), outCycles: new Float64Array(n) };
    out.length = 0;
    return r;
  };
  return {
    width: options.width,
    get cycles() { return cycles; },
    regRead: read,
    regWrite: write,
    regBatch(ops) {
      const r = new Uint32Array(ops.length / 3);
      for (let i = 0; i < ops.length; i += 3) {
        if (ops[i] === 0) r[i / 3] = read(ops[i + 1]);
        else if (ops[i] === 1) write(ops[i + 1], ops[i + 2]);
        else r[i / 3] = read(ops[i + 1]);
      }
      return r;
    },
    send(data, lengths) { let at = 0; for (const l of lengths) { pendingFrames.push(data.slice(at, at + l)); at += l; } },
    setReady() {},
    run(n) { cycles += n; },
    runUntilIdle() {
      const c = cycles;
      for (const f of pendingFrames.splice(0)) {
        const id = frameId++;
        bump(R('counters', 'RX_FRAMES') - BASE.counters); bump(R('counters', 'RX_BYTES') - BASE.counters, f.length);
        const a = decide(f);
        const dropReason = a <= -100 ? -a - 100 : a < 0 ? 3 : a >= Q ? 5 : 0;
        if (dropReason) { bump(R('counters', 'DROP') - BASE.counters + 8 * (dropReason - 1)); out.push({ id, queue: -1, reason: dropReason, data: new Uint8Array(0) }); }
        else { bump(0x100 + 0x20 * a); bump(0x108 + 0x20 * a, f.length); out.push({ id, queue: a, reason: 0, data: f }); }
        cycles += Math.ceil(f.length / (options.width / 8)) + 4;
      }
      return cycles - c;
    },
    collect: results,
    pending: () => pendingFrames.length,
    benchNative: () => ({ frames: 0, cycles: 0, seconds: 0 }),
    close() {},
  };
}
