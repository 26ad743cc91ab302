// Timestamped traffic for the learning differential (RTL vs reference, docs/semantics.md
// "Learning and aging"): many TCP connections over a few listen rules — learning ones, a
// plain one, a shared port, IPv6 — with SYN retransmits, data, FIN, RST, idle gaps that cross
// every timeout, SYN bursts past the embryonic quota, waves of connections that fill the
// table, outgoing connections through the transmit path, host rules that age, UDP noise and
// frames no rule takes.
//
// Gaps are drawn clearly inside or clearly outside each removal window, but the table's other
// entries (the quota, a full table) and the spacing of frames on the wire can still put a frame
// where the semantics let the adapter choose. So the generated stream is run through the
// reference model, and a frame it reports ambiguous is moved later together with the rest of
// its connection (or, after a few tries, dropped) until no frame is ambiguous; `retimed` and
// `dropped` say how often that happened.
import { parseRules } from '../../host/src/codec/rules.js';
import { ReferenceAdapter, type LearningOutcome } from '../../host/src/semantics/reference.js';
import { buildFrame, int, makeRng, pick, type FlowSpec, type Rng } from './framegen.js';

/** Timers small enough that a few simulated seconds cross each of them many times. */
export const LEARN_TIMERS_MS = { syn: 50, idle: 200, fin: 30, host: 100 } as const;
export const LEARN_MAX_EMBRYONIC = 8;
/** Exact entries the table holds (host and learned): the waves of connections go past it. */
export const LEARN_CAPACITY = 24;
export const LEARN_QUEUES = 8;

const CLUSTER4 = '10.0.0.1';
const CLUSTER6 = '2001:db8::1';
/** a host rule that connections hit (SYNs to it are refused `exact`), aged after 100 ms idle */
const HOST_HIT: FlowSpec = { family: 4, proto: 'tcp', src: '192.0.2.200', dst: CLUSTER4, srcPort: 5555, dstPort: 80 };

export const LEARN_RULES = `learning syn-timeout ${LEARN_TIMERS_MS.syn / 1000} idle-timeout ${LEARN_TIMERS_MS.idle / 1000} fin-timeout ${LEARN_TIMERS_MS.fin / 1000} max-embryonic ${LEARN_MAX_EMBRYONIC} max-entries ${LEARN_CAPACITY}
listen tcp4 dst-ip ${CLUSTER4} dst-port 80 action 1 learn
listen tcp4 dst-ip ${CLUSTER4} dst-port 8080 action 1,2,3 learn
listen tcp6 dst-ip ${CLUSTER6} dst-port 443 action 2 learn
listen tcp4 dst-ip ${CLUSTER4} dst-port 22 action 3
listen udp4 dst-ip ${CLUSTER4} dst-port 53 action 4
flow-type tcp4 src-ip ${HOST_HIT.src} dst-ip ${CLUSTER4} src-port ${HOST_HIT.srcPort} dst-port 80 action 5 idle-timeout ${LEARN_TIMERS_MS.host / 1000}
flow-type udp4 src-ip 192.0.2.201 dst-ip ${CLUSTER4} src-port 7777 dst-port 53 action 6 idle-timeout ${LEARN_TIMERS_MS.host / 1000}
flow-type tcp4 src-ip 192.0.2.202 dst-ip ${CLUSTER4} src-port 6666 dst-port 8080 action 7
default action 0
`;

export interface TimedFrame {
  /** integer µs; never decreasing, and each frame starts after the previous one's wire time */
  timeUs: number;
  frame: Uint8Array;
  /** set: processor `processor` transmits the frame (transmit path); unset: it arrives on the wire */
  processor?: number;
}

export interface LearnTraffic {
  rules: string;
  queues: number;
  capacity: number;
  frames: TimedFrame[];
  /** frames moved later (with the rest of their connection) because the reference found them ambiguous */
  retimed: number;
  /** frames left out after several moves did not make them certain */
  dropped: number;
}

export interface LearnTrafficOptions {
  seed: number;
  /** connections of each kind are drawn in proportion; the run lasts about connections / 100 s */
  connections?: number;
  /** outgoing connections through the transmit path (default true); without, those become incoming ones */
  transmit?: boolean;
}

const FIN = 0x01;
const SYN = 0x02;
const RST = 0x04;
const PSH = 0x08;
const ACK = 0x10;

/** Preamble, FCS and the minimum gap around a frame on the wire, in bytes. */
const WIRE_OVERHEAD = 24;
/** How far an ambiguous frame moves: past a visibility or busy window, or past a removal window (at most 13 ms wide here). */
const SHIFT_US = { visibility: 30, busy: 30, aging: 15_000 } as const;
const MAX_SHIFTS = 4;
/** After the last connection: longer than every removal window, so every aging entry is gone at the end. */
const TAIL_US = 300_000;

interface Event {
  conn: number;
  seq: number;
  t: number;
  frame: Uint8Array;
  processor?: number;
  shifts: number;
}

/** Builds the frames of every connection, then makes the stream unambiguous for the reference. */
export function learnTraffic(opts: LearnTrafficOptions): LearnTraffic {
  const rng = makeRng(opts.seed);
  const n = opts.connections ?? 300;
  const spanUs = n * 10_000;
  const b = new Builder(rng);

  for (let i = 0; i < n; i++) {
    const start = int(rng, 0, spanUs);
    const r = rng();
    if (r < 0.45) b.inbound(start, pick(rng, [80, 80, 8080, 443]));
    else if (r < 0.55) {
      if (opts.transmit === false) b.inbound(start, pick(rng, [80, 8080, 443]));
      else b.outbound(start);
    }
    else if (r < 0.65) b.plain(start);
    else if (r < 0.75) b.hostHit(start);
    else b.noise(start);
  }
  // SYN bursts past the embryonic quota, and waves of quickly established connections that fill the table
  for (let i = 0; i < Math.max(2, Math.round(n / 100)); i++) b.synBurst(int(rng, 0, spanUs));
  for (let i = 0; i < Math.max(2, Math.round(n / 150)); i++) b.wave(int(rng, 0, spanUs));
  // the end: one frame after every entry that ages has certainly aged
  const last = Math.max(...b.events.map((e) => e.t));
  b.push(b.newConn(), last + TAIL_US, udp(rng, '192.0.2.250', 53000, 53));

  return settle(b.events);
}

/** Runs the stream through the reference; moves (or drops) the first ambiguous frame and starts again, until none is. */
function settle(events: Event[]): LearnTraffic {
  let retimed = 0;
  let dropped = 0;
  for (;;) {
    const order = sortAndSpace(events);
    const ref = makeReference();
    let ambiguousAt = -1;
    let kind: keyof typeof SHIFT_US = 'aging';
    for (let i = 0; i < order.length; i++) {
      const e = order[i];
      const outcome: LearningOutcome = e.processor === undefined ? ref.decide(e.frame, e.t) : ref.transmit(e.frame, e.processor, e.t);
      if (outcome.ambiguous) {
        ambiguousAt = i;
        kind = outcome.ambiguous;
        break;
      }
    }
    if (ambiguousAt < 0) {
      return { rules: LEARN_RULES, queues: LEARN_QUEUES, capacity: LEARN_CAPACITY, frames: order.map(({ t, frame, processor }) => ({ timeUs: t, frame, ...(processor !== undefined ? { processor } : {}) })), retimed, dropped };
    }
    const bad = order[ambiguousAt];
    if (bad.shifts >= MAX_SHIFTS) {
      events.splice(events.indexOf(bad), 1);
      dropped++;
      continue;
    }
    bad.shifts++;
    retimed++;
    for (const e of events) if (e.conn === bad.conn && e.seq >= bad.seq) e.t += SHIFT_US[kind];
  }
}

export function makeReference(): ReferenceAdapter {
  const ref = new ReferenceAdapter({ queues: LEARN_QUEUES, capacity: LEARN_CAPACITY });
  for (const rule of parseRules(LEARN_RULES)) ref.add(rule, 0);
  return ref;
}

/** Sorts by time (then connection, then order in it) and starts each frame after the previous one has left the wire. */
function sortAndSpace(events: Event[]): Event[] {
  const order = [...events].sort((a, b) => a.t - b.t || a.conn - b.conn || a.seq - b.seq);
  for (let i = 1; i < order.length; i++) {
    const prev = order[i - 1];
    const free = Math.ceil(prev.t + ((prev.frame.length + WIRE_OVERHEAD) * 8) / 1000);
    if (order[i].t < free) order[i].t = free;
  }
  return order;
}

const udp = (rng: Rng, src: string, srcPort: number, dstPort: number) => buildFrame({ family: 4, proto: 'udp', src, dst: CLUSTER4, srcPort, dstPort }, { payload: int(rng, 0, 64) }, rng);

class Builder {
  readonly events: Event[] = [];
  private conns = 0;
  private readonly seqs = new Map<number, number>();
  private readonly used = new Set<string>();

  constructor(private readonly rng: Rng) {}

  newConn(): number {
    return this.conns++;
  }

  push(conn: number, t: number, frame: Uint8Array, processor?: number): void {
    const seq = this.seqs.get(conn) ?? 0;
    this.seqs.set(conn, seq + 1);
    this.events.push({ conn, seq, t: Math.round(t), frame, shifts: 0, ...(processor !== undefined ? { processor } : {}) });
  }

  /** a gap certainly shorter than T − 1 ms */
  short(timeoutMs: number): number {
    return int(this.rng, 50, (timeoutMs - 4) * 1000);
  }

  /** a gap certainly longer than T × 1.01 + 10 ms */
  long(timeoutMs: number): number {
    return timeoutMs * 1010 + 10_000 + int(this.rng, 2_000, 40_000);
  }

  /** A client address and port no other connection uses. */
  client(family: 4 | 6, prefix = family === 4 ? '192.0.2.' : '2001:db8:1::'): { src: string; srcPort: number } {
    for (;;) {
      const src = family === 4 ? `${prefix}${int(this.rng, 1, 199)}` : `${prefix}${int(this.rng, 1, 0xfffe).toString(16)}`;
      const srcPort = int(this.rng, 1024, 65535);
      const key = `${src}/${srcPort}`;
      if (this.used.has(key)) continue;
      this.used.add(key);
      return { src, srcPort };
    }
  }

  private tcp(flow: FlowSpec, flags: number, payload = 0): Uint8Array {
    return buildFrame(flow, { flags, payload }, this.rng);
  }

  /** A connection to a learning port: SYN (retransmits), ACK, data with idle gaps, then FIN, RST or nothing. */
  inbound(start: number, dstPort: number): void {
    const rng = this.rng;
    const family = dstPort === 443 ? 6 : 4;
    const flow: FlowSpec = { family, proto: 'tcp', dst: family === 4 ? CLUSTER4 : CLUSTER6, dstPort, ...this.client(family) };
    const c = this.newConn();
    let t = start;
    this.push(c, t, this.tcp(flow, SYN));
    const retransmit = rng();
    if (retransmit < 0.25) this.push(c, (t += this.short(LEARN_TIMERS_MS.syn)), this.tcp(flow, SYN));
    else if (retransmit < 0.35) this.push(c, (t += this.long(LEARN_TIMERS_MS.syn)), this.tcp(flow, SYN)); // aged embryonic: learns again
    if (rng() < 0.15) return; // abandoned: ages embryonic
    this.push(c, (t += int(rng, 60, 3_000)), this.tcp(flow, ACK));
    for (let k = int(rng, 0, 6); k > 0; k--) {
      t += rng() < 0.85 ? int(rng, 50, 60_000) : this.long(LEARN_TIMERS_MS.idle); // long: aged established, the rest goes to the default queue
      this.push(c, t, this.tcp(flow, ACK | PSH, int(rng, 1, 300)));
    }
    const end = rng();
    if (end < 0.55) {
      this.push(c, (t += int(rng, 50, 20_000)), this.tcp(flow, FIN | ACK));
      if (rng() < 0.5) this.push(c, (t += this.short(LEARN_TIMERS_MS.fin)), this.tcp(flow, ACK)); // closing stays closing
      if (rng() < 0.3) this.push(c, (t += this.long(LEARN_TIMERS_MS.fin)), this.tcp(flow, ACK)); // after fin-timeout: default
    } else if (end < 0.75) {
      this.push(c, (t += int(rng, 50, 20_000)), this.tcp(flow, RST));
    } // else: left established, ages after idle-timeout
  }

  /** An outgoing connection: processor 1..3 sends the SYN from the cluster address; the answers come back on the wire. */
  outbound(start: number): void {
    const rng = this.rng;
    const processor = int(rng, 1, 3);
    const local = { src: CLUSTER4, srcPort: int(rng, 32768, 60999) };
    const key = `out/${local.srcPort}`;
    if (this.used.has(key)) return;
    this.used.add(key);
    const remote = `198.51.100.${int(rng, 1, 254)}`;
    const out: FlowSpec = { family: 4, proto: 'tcp', src: local.src, srcPort: local.srcPort, dst: remote, dstPort: 443 };
    const back: FlowSpec = { family: 4, proto: 'tcp', src: remote, srcPort: 443, dst: local.src, dstPort: local.srcPort };
    const c = this.newConn();
    let t = start;
    this.push(c, t, this.tcp(out, SYN), processor);
    if (rng() < 0.2) this.push(c, (t += this.short(LEARN_TIMERS_MS.syn)), this.tcp(out, SYN), processor);
    if (rng() < 0.15) return; // no answer: ages embryonic
    this.push(c, (t += int(rng, 60, 3_000)), this.tcp(back, SYN | ACK));
    this.push(c, (t += int(rng, 5, 200)), this.tcp(out, ACK), processor); // transmitted, not a connection request: learns nothing
    for (let k = int(rng, 0, 4); k > 0; k--) this.push(c, (t += int(rng, 50, 40_000)), this.tcp(back, ACK | PSH, int(rng, 1, 300)));
    if (rng() < 0.6) this.push(c, (t += int(rng, 50, 20_000)), this.tcp(back, FIN | ACK));
  }

  /** A connection to the plain listen port: steered, never learned. */
  plain(start: number): void {
    const rng = this.rng;
    const flow: FlowSpec = { family: 4, proto: 'tcp', dst: CLUSTER4, dstPort: 22, ...this.client(4) };
    const c = this.newConn();
    let t = start;
    this.push(c, t, this.tcp(flow, SYN));
    this.push(c, (t += int(rng, 60, 3_000)), this.tcp(flow, ACK));
    for (let k = int(rng, 0, 3); k > 0; k--) this.push(c, (t += int(rng, 50, 40_000)), this.tcp(flow, ACK | PSH, int(rng, 1, 300)));
  }

  /** A frame on the host rule: a SYN (refused `exact` while the rule is there), data or FIN (no state change). */
  hostHit(start: number): void {
    this.push(this.newConn(), start, this.tcp(HOST_HIT, pick(this.rng, [SYN, ACK | PSH, FIN | ACK, RST])));
  }

  /** UDP to the listened port and elsewhere, TCP to no rule, and the never-aged host rule. */
  noise(start: number): void {
    const rng = this.rng;
    const c = this.newConn();
    const r = rng();
    if (r < 0.4) this.push(c, start, udp(rng, `192.0.2.${int(rng, 1, 199)}`, int(rng, 1024, 65535), pick(rng, [53, 53, 123, 5353])));
    else if (r < 0.7) this.push(c, start, buildFrame({ family: 4, proto: 'tcp', src: `192.0.2.${int(rng, 1, 199)}`, dst: CLUSTER4, srcPort: int(rng, 1024, 65535), dstPort: pick(rng, [25, 9999, 3306]) }, { flags: pick(rng, [SYN, ACK, FIN | ACK]) }, rng));
    else this.push(c, start, buildFrame({ family: 4, proto: 'tcp', src: '192.0.2.202', dst: CLUSTER4, srcPort: 6666, dstPort: 8080 }, { flags: pick(rng, [SYN, ACK | PSH, FIN | ACK]) }, rng));
  }

  /** 12..20 SYNs from spoofed sources (198.18.0.0/15), 25..40 µs apart, never answered. */
  synBurst(start: number): void {
    const rng = this.rng;
    let t = start;
    for (let k = int(rng, 12, 20); k > 0; k--) {
      const flow: FlowSpec = { family: 4, proto: 'tcp', dst: CLUSTER4, dstPort: pick(rng, [80, 8080]), ...this.client(4, `198.${int(rng, 18, 19)}.${int(rng, 0, 255)}.`) };
      this.push(this.newConn(), (t += int(rng, 25, 40)), this.tcp(flow, SYN));
    }
  }

  /** 20..30 connections established within a few ms and kept a while: more entries than the table holds. */
  wave(start: number): void {
    const rng = this.rng;
    let t = start;
    for (let k = int(rng, 20, 30); k > 0; k--) {
      const flow: FlowSpec = { family: 4, proto: 'tcp', dst: CLUSTER4, dstPort: 80, ...this.client(4) };
      const c = this.newConn();
      this.push(c, (t += int(rng, 300, 800)), this.tcp(flow, SYN));
      this.push(c, t + int(rng, 60, 250), this.tcp(flow, ACK));
      this.push(c, t + int(rng, 20_000, 120_000), this.tcp(flow, ACK | PSH, int(rng, 1, 300)));
    }
  }
}
