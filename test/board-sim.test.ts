// `sipnic sim serve --board` (issue 10, item 3): the board's design (sipnic_nic, board sizing,
// behind its UART bridge on a PTY) with its two ports on TAP devices the simulator creates, the
// serial line paced at --baud in wall time. Real peers: a client namespace holds tap0 (port 0,
// the clients' wire), a host namespace holds tap1 (port 1, the cluster side); their kernels ping
// through the design, the counters are read over the paced PTY, and the real `sipnic primary
// --interface` answers ARP and ping for a cluster address through it. Namespaces are made here
// and removed afterwards (on failure too); the TAPs vanish with the simulator.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SerialPort } from 'serialport';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeUartBoneRead, encodeUartBoneRead, encodeUartBoneWrite } from '../host/src/bus/serial-protocol.js';
import { registerAddress } from '../host/src/driver/registers.js';
import { run } from '../host/src/cli/program.js';
import type { CliIO } from '../host/src/cli/context.js';
import { checkBoardOptions } from '../host/src/cli/sim-pty.js';
import { SerialBus } from '../host/src/bus/serial-bus.js';
import { Adapter, EgressTable } from '../host/src/driver/index.js';
import { ptySimBusOptions, startPtySim, type PtySim, type PtySimPort } from '../host/src/sim/pty-sim.js';
import { SIPNIC_BIN } from '../host/src/cluster/netns.js';
import { pingFrom } from './support/ping.js';

const execFileP = promisify(execFile);
const skipReason = process.platform !== 'linux' ? 'needs Linux (TAP devices, network namespaces)' : process.getuid?.() !== 0 ? 'needs root (TAP devices, network namespaces); CI runs it as root' : '';
if (skipReason) console.warn(`test/board-sim.test.ts: skipped: ${skipReason}`);

const tag = `${process.pid % 10000}`;
const CLIENT_NS = `sbsim${tag}c`;
const HOST_NS = `sbsim${tag}h`;
const TAP0 = `sbs${tag}p0`; // port 0 → client namespace
const TAP1 = `sbs${tag}p1`; // port 1 → host namespace
const PACE_TAPS = [`sbs${tag}q0`, `sbs${tag}q1`]; // the 1 Mbaud simulator's, left in the root namespace
const BAUD = 115200;
const DIR = mkdtempSync(join(tmpdir(), 'sipnic-board-sim-'));
const sh = (cmd: string, ...args: string[]) => execFileP(cmd, args, { encoding: 'utf8', timeout: 30_000 });
const inNs = (ns: string, ...args: string[]) => sh('ip', 'netns', 'exec', ns, ...args);

function output(extra: Partial<CliIO> = {}) {
  const o = { out: '', err: '' };
  const io: CliIO = { stdout: (t) => void (o.out += t), stderr: (t) => void (o.err += t), stderrIsTTY: false, env: {}, ...extra };
  return { io, o };
}


const ping = (ns: string, dst: string, n = 3, size = 56, waitS = 5) => pingFrom(ns, dst, { n, size, waitS });

interface Snapshot {
  queue0Frames: number;
  queue0Bytes: number;
  rxFrames: number;
  p1TxFrames: number;
  p0TxFrames: number;
  p0RxBad: number;
  p1RxBad: number;
  ports: PtySimPort[];
}

/** The NIC's counters read over the paced PTY (the driver on SerialBus) and the simulator's TAP counts. */
async function snapshot(sim: PtySim): Promise<Snapshot> {
  const bus = await SerialBus.open(sim.path, ptySimBusOptions(sim.info));
  try {
    const adapter = await Adapter.open(bus);
    const c = await adapter.counters();
    const e = await (await EgressTable.open(adapter)).counters();
    await sim.faults(); // the ports line comes with it
    return {
      queue0Frames: Number(c.queues[0].frames),
      queue0Bytes: Number(c.queues[0].bytes),
      rxFrames: Number(c.rxFrames),
      p1TxFrames: e.p1TxFrames,
      p0TxFrames: e.p0TxFrames,
      p0RxBad: e.p0RxBad,
      p1RxBad: e.p1RxBad,
      ports: sim.ports()!,
    };
  } finally {
    await bus.close();
  }
}

function delta(a: Snapshot, b: Snapshot) {
  const port = (p: number, k: keyof PtySimPort) => (b.ports[p][k] as number) - (a.ports[p][k] as number);
  return {
    queue0Frames: b.queue0Frames - a.queue0Frames,
    queue0Bytes: b.queue0Bytes - a.queue0Bytes,
    rxFrames: b.rxFrames - a.rxFrames,
    p1TxFrames: b.p1TxFrames - a.p1TxFrames,
    p0TxFrames: b.p0TxFrames - a.p0TxFrames,
    p0RxBad: b.p0RxBad - a.p0RxBad,
    p1RxBad: b.p1RxBad - a.p1RxBad,
    tap0In: port(0, 'rxFrames'),
    tap0Padded: port(0, 'rxPadded'),
    tap0TooLong: port(0, 'rxTooLong'),
    tap0Out: port(0, 'txFrames'),
    tap1In: port(1, 'rxFrames'),
    tap1Padded: port(1, 'rxPadded'),
    tap1Out: port(1, 'txFrames'),
  };
}

/**
 * The output direction at full load: COMMANDS UARTBone fixed reads of 256 words of the core's
 * TYPE register (6 bytes each, together under the bridge's 32-byte receive FIFO) written at
 * once; the answers (1,024 bytes each) stream back. Returns the wall time from the write to the
 * last byte and the bytes each way.
 */
async function streamedReads(path: string, commands = 5): Promise<{ ms: number; sent: number; received: number }> {
  const port = new SerialPort({ path, baudRate: 115200, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  try {
    const cmd = encodeUartBoneRead(0, 256, true);
    const all = Buffer.concat(Array.from({ length: commands }, () => Buffer.from(cmd)));
    const want = commands * 1024;
    let received = 0;
    const done = new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${received} of ${want} bytes in 30 s`)), 30_000);
      port.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received >= want) {
          clearTimeout(timer);
          resolve(performance.now());
        }
      });
    });
    const t0 = performance.now();
    port.write(all);
    const t1 = await done;
    return { ms: t1 - t0, sent: all.length, received };
  } finally {
    await new Promise<void>((resolve) => port.close(() => resolve()));
  }
}

async function moveTap(tap: string, ns: string, cidr: string): Promise<void> {
  await sh('ip', 'link', 'set', tap, 'netns', ns);
  await inNs(ns, 'sysctl', '-qw', `net.ipv6.conf.${tap}.disable_ipv6=1`);
  await sh('ip', '-n', ns, 'addr', 'add', cidr, 'dev', tap);
  await sh('ip', '-n', ns, 'link', 'set', tap, 'up');
}

async function removeNamespaces(): Promise<void> {
  for (const ns of [CLIENT_NS, HOST_NS]) await sh('ip', 'netns', 'del', ns).catch(() => undefined);
}

describe('checkBoardOptions', () => {
  it('names what is wrong before anything starts', () => {
    expect(() => checkBoardOptions({ tap0: 'a' })).toThrow(/--tap0 needs --board/);
    expect(() => checkBoardOptions({ baud: 9600 })).toThrow(/--baud needs --board/);
    expect(() => checkBoardOptions({ board: true, tap0: 'a' })).toThrow(/--board needs --tap1 NAME/);
    expect(() => checkBoardOptions({ board: true })).toThrow(/--board needs --tap0 NAME and --tap1 NAME/);
    expect(() => checkBoardOptions({ board: true, tap0: 'a', tap1: 'a' })).toThrow(/both a/);
    expect(() => checkBoardOptions({ board: true, tap0: 'a', tap1: 'b' }, 1000)).toThrow(/needs CAP_NET_ADMIN to create TAP devices/);
    expect(() => checkBoardOptions({ board: true, tap0: 'a', tap1: 'b' }, 0)).not.toThrow();
  });
});

describe.skipIf(skipReason !== '')('sim serve --board', () => {
  let sim: PtySim;
  let paced: PtySim | undefined;

  beforeAll(async () => {
    await removeNamespaces();
    try {
      for (const ns of [CLIENT_NS, HOST_NS]) {
        await sh('ip', 'netns', 'add', ns);
        await sh('ip', '-n', ns, 'link', 'set', 'lo', 'up');
        for (const k of ['all', 'default']) await inNs(ns, 'sysctl', '-qw', `net.ipv6.conf.${k}.disable_ipv6=1`);
      }
      sim = await startPtySim({ board: { tap0: TAP0, tap1: TAP1 }, baud: BAUD });
      await moveTap(TAP0, CLIENT_NS, '10.9.0.2/24');
      await moveTap(TAP1, HOST_NS, '10.9.0.1/24');
    } catch (err) {
      await sim?.stop();
      await removeNamespaces();
      throw err;
    }
  }, 60_000);

  afterAll(async () => {
    await paced?.stop();
    await sim?.stop();
    await removeNamespaces();
    rmSync(DIR, { recursive: true, force: true });
    // the TAPs went with their simulators
    const links = (await sh('ip', '-o', 'link', 'show')).stdout;
    for (const t of [TAP0, TAP1, ...PACE_TAPS]) expect(links).not.toContain(`${t}:`);
  }, 30_000);

  it('says what it is: board, baud, taps, MAX_FRAME', () => {
    expect(sim.info).toMatchObject({ board: true, baud: BAUD, taps: [TAP0, TAP1], maxFrame: 2040, width: 32 });
  });

  it('carries ping both ways: queue 0 leaves port 1 unchanged, port 1 leaves port 0; counters agree with the pings and ARP', async () => {
    const before = await snapshot(sim);
    const r = await ping(CLIENT_NS, '10.9.0.1', 3);
    expect(r.ok, r.out).toBe(3);
    const after = await snapshot(sim);
    const d = delta(before, after);
    // client → host: one ARP request (42 bytes, padded to 60) and 3 echo requests (98 bytes), perhaps
    // an ARP probe more; every one of them entered port 0, took the default queue 0, left port 1
    expect(d.tap0In).toBeGreaterThanOrEqual(4);
    expect(d.tap0In).toBeLessThanOrEqual(6);
    expect(d.rxFrames).toBe(d.tap0In);
    expect(d.queue0Frames).toBe(d.tap0In);
    expect(d.p1TxFrames).toBe(d.tap0In);
    expect(d.tap1Out).toBe(d.tap0In);
    expect(d.tap0Padded).toBe(d.tap0In - 3); // all but the echoes are ARP, shorter than 60
    expect(d.queue0Bytes).toBe(3 * 98 + 60 * (d.tap0In - 3));
    // host → client: the ARP reply and 3 echo replies (perhaps an ARP more), all passed to port 0
    expect(d.tap1In).toBeGreaterThanOrEqual(4);
    expect(d.tap1In).toBeLessThanOrEqual(6);
    expect(d.p0TxFrames).toBe(d.tap1In);
    expect(d.tap0Out).toBe(d.tap1In);
    expect(d.tap1Padded).toBe(d.tap1In - 3);
    expect(d.p0RxBad + d.p1RxBad).toBe(0);
    // the client learned the host's MAC through the design
    const neigh = (await sh('ip', '-n', CLIENT_NS, 'neigh', 'show', '10.9.0.1')).stdout;
    const hostMac = (await sh('ip', '-n', HOST_NS, '-o', 'link', 'show', TAP1)).stdout.match(/link\/ether ([0-9a-f:]{17})/)![1];
    expect(neigh).toContain(hostMac);
  }, 60_000);

  it('cuts a frame longer than MAX_FRAME and counts it bad (egress.P0_RX_BAD); nothing leaves port 1', async () => {
    await sh('ip', '-n', CLIENT_NS, 'link', 'set', TAP0, 'mtu', '3000');
    try {
      const before = await snapshot(sim);
      // 2100 bytes of ICMP payload: a 2142-byte frame (> 2040); no answer can come
      const r = await ping(CLIENT_NS, '10.9.0.1', 1, 2100, 1);
      expect(r.ok).toBe(0);
      const after = await snapshot(sim);
      const d = delta(before, after);
      expect(d.tap0TooLong).toBe(1);
      expect(d.p0RxBad).toBe(1);
      expect(d.tap1Out).toBe(d.tap0In - 1);
      expect(d.queue0Frames).toBe(d.tap0In - 1);
    } finally {
      await sh('ip', '-n', CLIENT_NS, 'link', 'set', TAP0, 'mtu', '1500');
    }
  }, 60_000);

  it('paces the line: K register reads take at least their bytes × 10 / baud, at 115200 and at 1000000 baud', async () => {
    paced = await startPtySim({ board: { tap0: PACE_TAPS[0], tap1: PACE_TAPS[1] }, baud: 1_000_000 });
    expect(paced.info.baud).toBe(1_000_000);
    const ratios: Record<string, number> = {};
    for (const [name, s, k] of [['115200', sim, 60], ['1000000', paced, 200]] as const) {
      const bus = await SerialBus.open(s.path, { ...ptySimBusOptions(s.info), latencyMs: 50 });
      try {
        await bus.read(0); // the line is open and the bridge ready
        const bytes0 = bus.stats.bytesSent + bus.stats.bytesReceived;
        const t0 = performance.now();
        for (let i = 0; i < k; i++) await bus.read(0);
        const ms = performance.now() - t0;
        const bytes = bus.stats.bytesSent + bus.stats.bytesReceived - bytes0;
        // a reliable read of one word: 9 bytes out, 10 back (docs/serial.md)
        expect(bytes).toBeGreaterThanOrEqual(k * 19);
        const wireMs = (bytes * 10 * 1000) / s.info.baud!;
        ratios[name] = ms / wireMs;
        expect(ms, `${k} reads, ${bytes} bytes at ${s.info.baud} baud`).toBeGreaterThanOrEqual(0.95 * wireMs);
      } finally {
        await bus.close();
      }
    }
    // the answers streaming back: the paced direction alone sets the time (at 1 Mbaud the model is slower)
    for (const [name, s] of [['115200', sim], ['1000000', paced]] as const) {
      const r = await streamedReads(s.path);
      expect(r.received).toBe(5 * 1024);
      // the first answer cannot start before the first command is in
      const wireMs = ((6 + r.received) * 10 * 1000) / s.info.baud!;
      ratios[`streamed${name}`] = r.ms / wireMs;
      expect(r.ms, `${r.received} bytes back at ${s.info.baud} baud`).toBeGreaterThanOrEqual(0.95 * wireMs);
    }
    console.log(`test/board-sim.test.ts: wall time / wire time (1-word reads one at a time, and 5 KiB of answers streamed): ${JSON.stringify(ratios)}`);
  }, 120_000);

  it('measures silence on the line: a long paced frame is not cut, a half frame is forgotten after --silence-ms', async () => {
    // at 2400 baud a byte takes 4.2 ms on the line, longer than silenceMs (2 ms): the PTY is silent
    // between the bytes of one frame while the line is not
    const slow = await startPtySim({ board: { tap0: `sbs${tag}s0`, tap1: `sbs${tag}s1` }, baud: 2400 });
    const port = new SerialPort({ path: slow.path, baudRate: 2400, autoOpen: false });
    try {
      const bus = await SerialBus.open(slow.path, ptySimBusOptions(slow.info));
      let scratch: number;
      try {
        scratch = registerAddress((await Adapter.open(bus)).bases, 'core', 'SCRATCH');
      } finally {
        await bus.close();
      }
      await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
      let rx = Buffer.alloc(0);
      port.on('data', (chunk: Buffer) => (rx = Buffer.concat([rx, chunk])));
      const send = (b: Uint8Array) => new Promise<void>((resolve, reject) => port.write(Buffer.from(b), (err) => (err ? reject(err) : port.drain(() => resolve()))));
      const readScratch = async () => {
        rx = Buffer.alloc(0);
        await send(encodeUartBoneRead(scratch, 1));
        const deadline = Date.now() + 10_000;
        while (rx.length < 4) {
          if (Date.now() > deadline) throw new Error(`no answer to a read of SCRATCH (${rx.length} bytes)`);
          await new Promise((r) => setTimeout(r, 5));
        }
        return decodeUartBoneRead(rx.subarray(0, 4), 1)[0];
      };
      // 24 fixed writes of SCRATCH in one frame: 102 bytes, 425 ms on the line, in the PTY at once
      const values = Uint32Array.from({ length: 24 }, (_, i) => 0x5a000000 + i);
      const t0 = performance.now();
      await send(encodeUartBoneWrite(scratch, values, true));
      expect(await readScratch()).toBe(0x5a000017);
      expect(performance.now() - t0).toBeGreaterThanOrEqual((0.95 * ((102 + 6 + 4) * 10 * 1000)) / 2400);
      // half a write frame, then silence on the line: the bridge forgets it, the read is a read
      await send(encodeUartBoneWrite(scratch, Uint32Array.of(0x11111111), false).subarray(0, 5));
      await new Promise((r) => setTimeout(r, 5 * 10_000 / 2400 + 20 * slow.info.silenceMs));
      expect(await readScratch()).toBe(0x5a000017);
    } finally {
      if (port.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
      await slow.stop();
    }
  }, 60_000);

  it('runs from the CLI: the PTY path first, --json says board, baud, taps; the port counts at exit', async () => {
    const stop = new AbortController();
    let ready!: (path: string) => void;
    const started = new Promise<string>((resolve) => (ready = resolve));
    const serve = output({ signal: stop.signal, onServing: ({ path }) => ready(path) });
    const taps = [`sbs${tag}c0`, `sbs${tag}c1`];
    const serving = run(['sim', 'serve', '--board', '--tap0', taps[0], '--tap1', taps[1], '--baud', '57600', '--json'], serve.io);
    const path = await Promise.race([started, serving.then((code) => Promise.reject(new Error(`sim serve --board exited ${code}: ${serve.o.err}`)))]);
    const links = (await sh('ip', '-o', 'link', 'show')).stdout;
    stop.abort();
    expect(await serving).toBe(0);
    expect(links).toContain(`${taps[0]}:`);
    expect(links).toContain(`${taps[1]}:`);
    const info = JSON.parse(serve.o.out);
    expect(info).toMatchObject({ pty: path, board: true, baud: 57600, taps, maxFrame: 2040 });
    expect(serve.o.err).toMatch(new RegExp(`port 0 \\(TAP ${taps[0]}\\): \\d+ frames in`));
    const after = (await sh('ip', '-o', 'link', 'show')).stdout;
    for (const t of taps) expect(after).not.toContain(`${t}:`);
  }, 60_000);

  it('refuses --board without taps, a bad baud, and a TAP name in use', async () => {
    const noTaps = output();
    expect(await run(['sim', 'serve', '--board'], noTaps.io)).toBe(1);
    expect(noTaps.o.err).toMatch(/--board needs --tap0 NAME and --tap1 NAME/);
    const badBaud = output();
    expect(await run(['sim', 'serve', '--board', '--tap0', 'sbx0', '--tap1', 'sbx1', '--baud', '10'], badBaud.io)).not.toBe(0);
    expect(badBaud.o.err).toMatch(/--baud.*10/);
    const tapOnly = output();
    expect(await run(['sim', 'serve', '--pty', '--tap0', 'sbx0'], tapOnly.io)).toBe(1);
    expect(tapOnly.o.err).toMatch(/--tap0 needs --board/);
    // the 1 Mbaud simulator's TAPs are still in this namespace
    const inUse = output();
    expect(await run(['sim', 'serve', '--board', '--tap0', PACE_TAPS[0], '--tap1', `sbs${tag}z1`], inUse.io)).toBe(1);
    expect(inUse.o.err).toMatch(new RegExp(`TAP name ${PACE_TAPS[0]} is in use`));
    const links = (await sh('ip', '-o', 'link', 'show')).stdout;
    expect(links).not.toContain(`sbs${tag}z1:`);
  }, 60_000);

  it('the real primary on port 1 answers ARP and ping for a cluster address through the design', async () => {
    const secrets = join(DIR, 'secrets');
    writeFileSync(secrets, '1 board-sim-secret\n');
    const control = join(DIR, 'control.sock');
    const args = [SIPNIC_BIN, '--device', sim.path, '--baud', String(BAUD), 'primary', '--interface', TAP1, '--ip', '10.9.0.10', '--mac', '02:53:4e:00:00:01', '--processors', '1', '--secrets', secrets, '--control', `unix:${control}`, '--heartbeat-timeout', '60000'];
    const primary: ChildProcess = spawn('ip', ['netns', 'exec', HOST_NS, process.execPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    primary.stdout!.on('data', (b: Buffer) => void (out += b));
    primary.stderr!.on('data', (b: Buffer) => void (err += b));
    const exited = new Promise<number | string>((resolve) => primary.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
    try {
      const start = Date.now();
      while (!/serving/.test(out)) {
        if (primary.exitCode !== null) throw new Error(`primary exited ${primary.exitCode}: ${err}`);
        if (Date.now() - start > 60_000) throw new Error(`primary not serving after 60 s: ${err}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const before = await pingAndCount();
      expect(before.ok, before.out).toBe(3);
      const neigh = (await sh('ip', '-n', CLIENT_NS, 'neigh', 'show', '10.9.0.10')).stdout;
      expect(neigh).toContain('02:53:4e:00:00:01');
    } finally {
      if (primary.exitCode === null) primary.kill('SIGTERM');
      const timer = setTimeout(() => primary.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    // the primary set the egress table: queue 0 → its interface's MAC, rewrite on
    const list = output();
    expect(await run(['--device', sim.path, '--baud', String(BAUD), 'egress', 'list', '--json'], list.io), list.o.err).toBe(0);
    const egress = JSON.parse(list.o.out);
    const hostMac = (await sh('ip', '-n', HOST_NS, '-o', 'link', 'show', TAP1)).stdout.match(/link\/ether ([0-9a-f:]{17})/)![1];
    expect(egress.rewrite).toBe(true);
    expect(egress.macs[0]).toEqual({ queue: 0, mac: hostMac });

    async function pingAndCount() {
      return ping(CLIENT_NS, '10.9.0.10', 3);
    }
  }, 120_000);
});
