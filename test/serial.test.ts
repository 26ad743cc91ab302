// The serial transport end to end: `sipnic sim serve --pty` (started in this process through
// the CLI) runs the Verilated NIC behind its UART bridge on a real pseudo-terminal; the CLI's
// table commands reach it with --device through the real serialport package. Raw LiteX
// UARTBone frames written through serialport reach the same registers on a second simulator
// that waits the board's 100 ms before forgetting a half frame (plain UARTBone has no retry).
import { existsSync } from 'node:fs';
import { SerialPort } from 'serialport';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPtySim, type PtySim } from '../host/src/sim/pty-sim.js';
import { run } from '../host/src/cli/program.js';
import { captureIo as io } from './support/cli-io.js';
import { BLOCKS } from '../host/src/driver/regs.generated.js';
import { SerialBus } from '../host/src/bus/serial-bus.js';
import { decodeUartBoneRead, encodeUartBoneRead, encodeUartBoneWrite } from '../host/src/bus/serial-protocol.js';

interface Result {
  code: number;
  out: string;
  err: string;
}

let PTY = '';

async function cli(...args: string[]): Promise<Result> {
  const i = io();
  const code = await run(args, i);
  return { code, ...i.output };
}

/** One CLI invocation on the PTY with --json; must succeed. */
async function json(...args: string[]): Promise<any> {
  const r = await cli(...args, '--device', PTY, '--json');
  expect(r.err, r.err).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.out);
}

const FLOW_A = 'flow-type tcp4 src-ip 192.0.2.7 dst-ip 10.0.0.1 src-port 40001 dst-port 80 action 2';
const FLOW_B = 'flow-type udp4 src-ip 198.51.100.7 dst-ip 10.0.0.2 src-port 5000 dst-port 53 action 3';
// the board's build is IPv4-only (sizing.json IPV6 0)
const FLOW_V6 = 'flow-type udp6 src-ip 2001:db8::7 dst-ip 2001:db8::1 src-port 5000 dst-port 53 action 3';
const LISTEN = 'tcp4 dst-ip 10.0.0.1 dst-port 443 action 1';

let stop: AbortController;
let serving: Promise<number>;
let serveIO: ReturnType<typeof io>;

beforeAll(async () => {
  stop = new AbortController();
  let ready!: (path: string) => void;
  const started = new Promise<string>((resolve) => (ready = resolve));
  serveIO = io({ signal: stop.signal, onServing: ({ path }) => ready(path) });
  serving = run(['sim', 'serve', '--pty'], serveIO);
  PTY = await Promise.race([started, serving.then((code) => Promise.reject(new Error(`sim serve --pty exited ${code}: ${serveIO.output.err}`)))]);
});

afterAll(async () => {
  stop.abort();
  expect(await serving).toBe(0);
  // the fault report, with nothing injected
  expect(serveIO.output.err).toMatch(/sipnic sim: fault rate 0 \(seed 1\): host → adapter \d+ bytes, 0 dropped, 0 corrupted; adapter → host \d+ bytes, 0 dropped, 0 corrupted/);
});

describe('sim serve --pty', () => {
  it('prints the PTY path as the first line of stdout', () => {
    expect(PTY).toMatch(/^\/dev\/pts\/\d+$/);
    expect(serveIO.output.out.split('\n')[0]).toBe(PTY);
    expect(existsSync(PTY)).toBe(true);
  });

  it('refuses fault options without --pty, and bad fault rates', async () => {
    const r = await cli('sim', 'serve', '--fault-rate', '0.1');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/--fault-rate and --fault-seed need --pty/);
    const bad = await cli('sim', 'serve', '--pty', '--fault-rate', '2');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/2 is not a fraction in 0\.\.1/);
  });
});

describe('table commands with --device', () => {
  it('adds, lists, looks up and deletes flow entries', async () => {
    expect((await json('flow', 'list')).count).toBe(0);
    const a = await json('flow', 'add', ...FLOW_A.split(' '));
    const b = await json('flow', 'add', ...FLOW_B.split(' '));
    expect(typeof a.slot).toBe('number');
    const list = await json('flow', 'list');
    expect(list.count).toBe(2);
    expect(list.flows.map((f: { rule: string }) => f.rule).sort()).toEqual([FLOW_A, FLOW_B].sort());
    expect(list.flows.find((f: { rule: string }) => f.rule === FLOW_B).slot).toBe(b.slot);

    const dup = await cli('flow', 'add', ...FLOW_A.split(' '), '--device', PTY);
    expect(dup.code).toBe(1);
    expect(dup.err).toMatch(/exists/);

    await json('flow', 'del', ...FLOW_A.split(' '));
    const after = await json('flow', 'list');
    expect(after.flows.map((f: { rule: string }) => f.rule)).toEqual([FLOW_B]);
    const gone = await cli('flow', 'del', ...FLOW_A.split(' '), '--device', PTY);
    expect(gone.code).toBe(1);
  });

  it("refuses an IPv6 rule on the board's IPv4-only build, naming it, and writes nothing", async () => {
    const before = await json('flow', 'list');
    const r = await cli('flow', 'add', ...FLOW_V6.split(' '), '--device', PTY, '--json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out).error.code).toBe('ENOTSUP');
    expect(r.err).toMatch(/IPv4-only build \(IPV6=0, flow FEATURES\.IPV4_ONLY is 1\)/);
    expect((await json('flow', 'list')).flows.map((f: { rule: string }) => f.rule)).toEqual(before.flows.map((f: { rule: string }) => f.rule));
  });

  it('adds, lists and deletes listen entries', async () => {
    await json('listen', 'add', ...LISTEN.split(' '));
    const list = await json('listen', 'list');
    expect(list.count).toBe(1);
    expect(JSON.stringify(list.listens)).toContain('443');
    await json('listen', 'del', ...LISTEN.split(' '));
    expect((await json('listen', 'list')).count).toBe(0);
  });

  it('sets and shows the default action', async () => {
    await json('default', 'set', 'action', '3');
    expect((await json('default', 'show')).defaultAction).toBe(3);
    await json('default', 'set', 'action', '-1');
    expect((await json('default', 'show')).defaultAction).toBe(-1);
    await json('default', 'set', 'action', '0');
  });

  it('reads registers and counters', async () => {
    const r = await cli('regs', 'read', 'core.TYPE', '--device', PTY);
    expect(r.out).toBe('core.TYPE = 0x53500001 (1397751809)\n');
    expect((await cli('stats', '--device', PTY)).code).toBe(0);
  });

  it('takes the device from SIPNIC_DEVICE, and --device over --socket', async () => {
    const env = io({ env: { SIPNIC_DEVICE: PTY } });
    expect(await run(['regs', 'read', 'core.TYPE'], env)).toBe(0);
    expect(env.output.out).toMatch(/0x53500001/);
    const both = await cli('regs', 'read', 'core.TYPE', '--socket', '/nonexistent/sipnic.sock', '--device', PTY);
    expect(both.code).toBe(0);
    // an explicit --socket beats the environment's device
    const sock = io({ env: { SIPNIC_DEVICE: PTY } });
    expect(await run(['regs', 'read', 'core.TYPE', '--socket', '/nonexistent/sipnic.sock'], sock)).toBe(1);
    expect(sock.output.err).toMatch(/no simulated adapter at \/nonexistent\/sipnic.sock/);
  });

  it('fails clearly on a device that is not there and on a bad --baud', async () => {
    const r = await cli('flow', 'list', '--device', '/dev/sipnic-no-such-tty', '--json');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^sipnic: cannot open serial device \/dev\/sipnic-no-such-tty: /);
    expect(JSON.parse(r.out).error.message).toMatch(/cannot open serial device/);
    const baud = await cli('flow', 'list', '--device', PTY, '--baud', 'fast');
    expect(baud.code).toBe(2);
    expect(baud.err).toMatch(/--baud fast is not a line rate/);
  });

  it('says in --help that table commands take --device, with an example', async () => {
    for (const args of [['flow', '--help'], ['flow', 'add', '--help'], ['listen', 'list', '--help'], ['default', '--help'], ['rules', '--help'], ['stats', '--help'], ['regs', '--help']]) {
      const r = await cli(...args);
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/--device <path>/);
      expect(r.out).toMatch(new RegExp(`sipnic ${args.slice(0, -1).join(' ')}.* --device /dev/ttyUSB0`));
    }
    expect((await cli('--help')).out).toMatch(/sipnic flow list --device \/dev\/ttyUSB0 --baud 115200 --json/);
  });

  it('works with plain UARTBone framing (--uartbone)', async () => {
    const reliable = await json('flow', 'list');
    const plain = await json('flow', 'list', '--uartbone');
    // the same table both ways; only the entries' idle times have moved on between the reads
    const still = (l: { flows: { idleMs?: number }[] }) => ({ ...l, flows: l.flows.map(({ idleMs: _idle, ...f }) => f) });
    expect(still(plain)).toEqual(still(reliable));
  });
});

// ───────────────────────────── raw UARTBone through serialport ─────────────────────────────

/** Opens the PTY with serialport and speaks bare LiteX UARTBone frames on it. */
async function uartBone<T>(path: string, fn: (port: { write(addr: number, words: number[]): Promise<void>; read(addr: number, len: number): Promise<Uint32Array> }) => Promise<T>): Promise<T> {
  const port = new SerialPort({ path, baudRate: 115200, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  let rx = Buffer.alloc(0);
  port.on('data', (chunk: Buffer) => (rx = Buffer.concat([rx, chunk])));
  const send = (bytes: Uint8Array) => new Promise<void>((resolve, reject) => port.write(Buffer.from(bytes), (err) => (err ? reject(err) : port.drain(() => resolve()))));
  // Writes answer nothing, and the next opener's flush (serialport's open does TCIOFLUSH)
  // discards bytes the simulator has not read yet: read once before letting go after writes,
  // as SerialBus.close() does.
  let unconfirmed = false;
  const bridge = {
    async write(addr: number, words: number[]) {
      await send(encodeUartBoneWrite(addr, words));
      unconfirmed = true;
    },
    async read(addr: number, len: number) {
      rx = Buffer.alloc(0);
      await send(encodeUartBoneRead(addr, len));
      const deadline = Date.now() + 5000;
      while (rx.length < 4 * len) {
        if (Date.now() > deadline) throw new Error(`UARTBone read of ${len} words at 0x${addr.toString(16)}: ${rx.length} of ${4 * len} bytes in 5 s`);
        await new Promise((r) => setTimeout(r, 2));
      }
      expect(rx.length).toBe(4 * len);
      unconfirmed = false;
      return decodeUartBoneRead(new Uint8Array(rx), len);
    },
  };
  try {
    const out = await fn(bridge);
    if (unconfirmed) await bridge.read(0, 1);
    return out;
  } finally {
    await new Promise<void>((resolve) => port.close(() => resolve()));
  }
}

describe('LiteX UARTBone commands through serialport', () => {
  // Plain UARTBone has no retry, so these commands get a simulator whose bridge forgets a half
  // frame after the board's 100 ms of silence, not the default 2 ms: a test process starved
  // between two writes on a busy machine must not lose a frame the board would have kept.
  let sim: PtySim;
  beforeAll(async () => {
    sim = await startPtySim({ silenceMs: 100 });
    const add = await cli('flow', 'add', ...FLOW_B.split(' '), '--device', sim.path);
    expect(add.err).toBe('');
    expect(add.code).toBe(0);
  });
  afterAll(async () => {
    const faults = await sim?.stop();
    expect(faults).toMatchObject({ toAdapter: { dropped: 0, corrupted: 0 }, toHost: { dropped: 0, corrupted: 0 } });
  });

  it('reads the core block: TYPE, VERSION, NEXT', async () => {
    const [type, version, next] = await uartBone(sim.path, (p) => p.read(0, 3));
    expect(type).toBe(BLOCKS.core.type);
    expect(version >>> 16).toBe(BLOCKS.core.version >>> 16);
    expect(next).toBeGreaterThan(0);
  });

  it('writes SCRATCH with 0x01 and reads it back with a reliable command, and the other way round', async () => {
    const scratch = BLOCKS.core.registers.SCRATCH.offset;
    await uartBone(sim.path, (p) => p.write(scratch, [0x5a5a1234]));
    const bus = await SerialBus.open(sim.path);
    try {
      expect(await bus.read(scratch)).toBe(0x5a5a1234);
      await bus.write(scratch, 0xc0ffee01);
    } finally {
      await bus.close();
    }
    expect(Array.from(await uartBone(sim.path, (p) => p.read(scratch, 1)))).toEqual([0xc0ffee01]);
  });

  it('reads back a flow entry that reliable commands added', async () => {
    const list = await cli('flow', 'list', '--device', sim.path, '--json');
    expect(list.code).toBe(0);
    const { flows } = JSON.parse(list.out);
    const entry = flows.find((f: { rule: string }) => f.rule === FLOW_B);
    expect(entry).toBeDefined();
    // find the flow block by walking the chain, as a LiteX user with wishbone-tool would
    const base = await uartBone(sim.path, async (p) => {
      let addr = 0;
      for (let i = 0; i < 16; i++) {
        const [type, , next] = await p.read(addr, 3);
        if (type === BLOCKS.flow.type) return addr;
        addr = next;
      }
      throw new Error('no flow block');
    });
    const r = BLOCKS.flow.registers;
    const words = await uartBone(sim.path, async (p) => {
      await p.write(base + r.SLOT.offset, [entry.slot]);
      await p.write(base + r.COMMAND.offset, [4]); // read slot
      for (;;) {
        const [status] = await p.read(base + r.STATUS.offset, 1);
        if (!(status & 1)) break;
      }
      return p.read(base + r.RES_FLAGS.offset, 9); // RES_FLAGS .. RES_HITS
    });
    const [flags, ports, s0, s1, s2, s3, action, slot] = Array.from(words);
    expect(flags >>> 31).toBe(1); // valid
    expect(flags & 3).toBe(2); // IPv4 (bit 0 clear), UDP
    expect(ports).toBe(((5000 << 16) | 53) >>> 0);
    expect([s0, s1, s2, s3]).toEqual([0, 0, 0, 0xc6336407]); // 198.51.100.7
    expect(action).toBe(3);
    expect(slot).toBe(entry.slot);
  });
});
