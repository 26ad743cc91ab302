// The sipnic CLI in-process (commander with exitOverride, output captured) against a real
// `sipnic sim serve` started in this process on a temporary socket: each `cli(...)` call is
// one invocation with its own connection, as from a shell.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSim as realCreateSim, type Sim, type SimOptions } from '../sim/addon.js';
import { run } from '../host/src/cli/program.js';
import type { CliIO } from '../host/src/cli/context.js';
import { captureIo } from './support/cli-io.js';
import { readCapture } from '../host/src/codec/pcap.js';
import { createFakeSim } from './support/fake-sim.js';

// SIPNIC_FAKE_SIM=1 runs the host against a register-level stand-in instead of the RTL
const createSim: (o: SimOptions) => Sim = process.env.SIPNIC_FAKE_SIM ? createFakeSim : realCreateSim;

const DIR = mkdtempSync(join(tmpdir(), 'sipnic-cli-'));
const SOCKET = join(DIR, 'sim.sock');
const PCAPS = join(import.meta.dirname, 'pcaps');
const ROOT = join(import.meta.dirname, '..');

interface Result {
  code: number;
  out: string;
  err: string;
}

const io = (extra: Partial<CliIO> = {}) => captureIo({ createSim, ...extra });

async function cli(...args: string[]): Promise<Result> {
  const i = io();
  const code = await run(['--socket', SOCKET, ...args], i);
  return { code, ...i.output };
}

async function json(...args: string[]): Promise<any> {
  const r = await cli(...args, '--json');
  expect(r.err, r.err).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.out);
}

const FLOW = 'flow-type tcp4 src-ip 192.0.2.7 dst-ip 10.0.0.1 src-port 40001 dst-port 80 action 2';

let stop: AbortController;
let serving: Promise<number>;
let serveIO: ReturnType<typeof io>;

beforeAll(async () => {
  stop = new AbortController();
  let ready!: () => void;
  const started = new Promise<void>((resolve) => (ready = resolve));
  serveIO = io({ signal: stop.signal, onServing: () => ready() });
  serving = run(['--socket', SOCKET, 'sim', 'serve', '--width', '64'], serveIO);
  await Promise.race([started, serving.then((code) => Promise.reject(new Error(`sim serve exited ${code}: ${serveIO.output.err}`)))]);
});

afterAll(async () => {
  stop.abort();
  expect(await serving).toBe(0);
  expect(existsSync(SOCKET)).toBe(false);
  rmSync(DIR, { recursive: true, force: true });
});

describe('sim serve', () => {
  it('prints one line with the socket and width', () => {
    expect(serveIO.output.out).toBe(`sipnic sim: serving a simulated adapter (width 64) at ${SOCKET}\n`);
  });

  it('refuses a second server on the same socket', async () => {
    const r = await cli('sim', 'serve');
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/already serves/);
  });

  it('a table command with no server says how to start one', async () => {
    const i = io();
    const missing = join(DIR, 'none.sock');
    const code = await run(['--socket', missing, 'flow', 'list'], i);
    expect(code).not.toBe(0);
    expect(i.output.err).toContain(`no simulated adapter at ${missing} — start one with \`sipnic sim serve\``);
  });

  it('takes the socket from SIPNIC_SOCKET', async () => {
    const i = io({ env: { SIPNIC_SOCKET: SOCKET } });
    expect(await run(['default', 'show'], i)).toBe(0);
  });
});

describe('flow', () => {
  it('flow add in one invocation, flow list --json in the next sees it', async () => {
    const add = await cli('flow', 'add', ...FLOW.split(' '));
    expect(add.err).toBe('');
    expect(add.code).toBe(0);
    expect(add.out).toMatch(/^added flow-type tcp4 .* action 2 \(slot \d+, \d+ moved\)\n$/);
    const list = await json('flow', 'list');
    expect(list.count).toBe(1);
    expect(list.flows[0]).toMatchObject({ rule: FLOW, srcIp: '192.0.2.7', dstIp: '10.0.0.1', srcPort: 40001, dstPort: 80, action: 2, hits: 0 });
    expect(list.capacity).toEqual({ entries: 4096, stash: 8 });
  });

  it('accepts the words without the leading flow-type, and action -1', async () => {
    const r = await cli('flow', 'add', 'udp6', 'src-ip', '2001:db8::7', 'dst-ip', '2001:db8::1', 'src-port', '5000', 'dst-port', '53', 'action', '-1');
    expect(r.err).toBe('');
    const found = await json('flow', 'lookup', 'udp6', 'src-ip', '2001:db8::7', 'dst-ip', '2001:db8::1', 'src-port', '5000', 'dst-port', '53');
    expect(found).toMatchObject({ found: true, action: -1, flowType: 'udp6' });
    expect((await cli('flow', 'del', 'udp6', 'src-ip', '2001:db8::7', 'dst-ip', '2001:db8::1', 'src-port', '5000', 'dst-port', '53')).code).toBe(0);
    expect((await cli('flow', 'lookup', 'udp6', 'src-ip', '2001:db8::7', 'dst-ip', '2001:db8::1', 'src-port', '5000', 'dst-port', '53')).code).toBe(1);
  });

  it('a duplicate says already exists and changes nothing', async () => {
    const r = await cli('flow', 'add', ...FLOW.replace('action 2', 'action 3').split(' '));
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/already exists/);
    expect((await json('flow', 'list')).flows[0].action).toBe(2);
  });

  it('a bad word is named', async () => {
    const r = await cli('flow', 'add', ...FLOW.replace('dst-port', 'dst-prot').split(' '));
    expect(r.code).not.toBe(0);
    expect(r.err).toContain('"dst-prot"');
    const r2 = await cli('flow', 'add', ...FLOW.replace('10.0.0.1', '10.0.0.300').split(' '));
    expect(r2.code).not.toBe(0);
    expect(r2.err).toContain('10.0.0.300');
  });

  it('an unknown queue names the queue and how many exist', async () => {
    const r = await cli('flow', 'add', ...FLOW.replace('40001', '40002').replace('action 2', 'action 9').split(' '));
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/queue 9 does not exist: the adapter has 8 queues/);
    expect((await json('flow', 'list')).count).toBe(1);
  });

  it('deleting what is not there fails', async () => {
    const r = await cli('flow', 'del', ...FLOW.replace('40001', '40009').split(' '));
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/no such flow rule/);
  });

  it('--json errors are one JSON object with the code', async () => {
    const r = await cli('flow', 'add', ...FLOW.split(' '), '--json');
    expect(r.code).not.toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ error: { code: 'EEXIST' } });
  });

  it('the address slots fill up, and free again when no rule uses them', async () => {
    // 10.0.0.1 holds one slot already; 15 more fill the 16
    for (let i = 2; i <= 16; i++) {
      const r = await cli('flow', 'add', ...FLOW.replace('10.0.0.1', `10.0.0.${i}`).split(' '));
      expect(r.err).toBe('');
    }
    const full = await cli('flow', 'add', ...FLOW.replace('10.0.0.1', '10.0.0.17').split(' '));
    expect(full.code).not.toBe(0);
    expect(full.err).toMatch(/address table full \(16 slots, each holding another cluster address/);
    // the failed insert left nothing behind
    expect((await json('flow', 'list')).count).toBe(16);
    for (let i = 2; i <= 16; i++) expect((await cli('flow', 'del', ...FLOW.replace('10.0.0.1', `10.0.0.${i}`).split(' '))).code).toBe(0);
    expect((await cli('flow', 'add', ...FLOW.replace('10.0.0.1', '10.0.0.17').split(' '))).code).toBe(0);
    expect((await cli('flow', 'del', ...FLOW.replace('10.0.0.1', '10.0.0.17').split(' '))).code).toBe(0);
    // slot registers: only 10.0.0.1 is left
    const regs = await json('regs', 'dump');
    expect(regs.registers.length).toBeGreaterThan(40);
  });

  it('help teaches with an example line', async () => {
    const i = io();
    expect(await run(['flow', 'add', '--help'], i)).toBe(0);
    expect(i.output.out).toContain('Example:\n  sipnic flow add flow-type tcp4 src-ip');
    for (const group of [['listen', 'add'], ['default', 'set'], ['rules', 'load'], ['stats'], ['regs', 'write'], ['sim', 'replay'], ['demo']]) {
      const h = io();
      expect(await run([...group, '--help'], h)).toBe(0);
      expect(h.output.out, group.join(' ')).toMatch(/Example/);
    }
  });
});

describe('listen and default', () => {
  it('fills the listen table (32 entries) and then says it is full', async () => {
    for (let port = 1000; port < 1032; port++) {
      const r = await cli('listen', 'add', 'tcp4', 'dst-ip', '10.0.0.1', 'dst-port', String(port), 'action', '1');
      expect(r.err).toBe('');
    }
    const full = await cli('listen', 'add', 'udp4', 'dst-ip', '10.0.0.1', 'dst-port', '53', 'action', '1');
    expect(full.code).not.toBe(0);
    expect(full.err).toMatch(/listen table full \(32 entries\)/);
    const list = await json('listen', 'list');
    expect(list.count).toBe(32);
    expect(list.listens[5]).toMatchObject({ entry: 5, dstPort: 1005, action: 1, flowType: 'tcp4' });
    expect((await cli('listen', 'clear')).code).toBe(0);
    expect((await json('listen', 'list')).count).toBe(0);
  });

  it('refuses a duplicate listen rule', async () => {
    expect((await cli('listen', 'add', 'tcp4', 'dst-ip', '10.0.0.1', 'dst-port', '80', 'action', '1')).code).toBe(0);
    const dup = await cli('listen', 'add', 'tcp4', 'dst-ip', '10.0.0.1', 'dst-port', '80', 'action', '4');
    expect(dup.code).not.toBe(0);
    expect(dup.err).toMatch(/already exists/);
    expect((await cli('listen', 'del', 'tcp4', 'dst-ip', '10.0.0.1', 'dst-port', '80')).code).toBe(0);
  });

  it('shares a port: listen add … action 1,2,3, list shows the queues and the group, update changes it in place', async () => {
    const add = await cli('listen', 'add', 'tcp4', 'dst-ip', '10.0.0.1', 'dst-port', '8080', 'action', '1,2,3');
    expect(add.err).toBe('');
    expect(add.out).toMatch(/^added listen tcp4 dst-ip 10\.0\.0\.1 dst-port 8080 action 1,2,3 \(entry \d+, group \d+\)\n$/);
    expect((await cli('listen', 'add', 'udp4', 'dst-ip', '10.0.0.1', 'dst-port', '5353', 'action', '1,2,3')).code).toBe(0);
    const list = await json('listen', 'list');
    const e = list.listens.find((x: { dstPort: number }) => x.dstPort === 8080);
    expect(e).toMatchObject({ rule: 'listen tcp4 dst-ip 10.0.0.1 dst-port 8080 action 1,2,3', action: [1, 2, 3], group: expect.any(Number) });
    expect(list.listens.find((x: { dstPort: number }) => x.dstPort === 5353).group).toBe(e.group); // the same list shares the group
    expect(list.groups).toEqual({ capacity: 8, used: 1 });
    const text = (await cli('listen', 'list')).out;
    expect(text).toMatch(/entry\s+type\s+dst-ip\s+dst-port\s+action\s+group/);
    expect(text).toMatch(/tcp4\s+10\.0\.0\.1\s+8080\s+1,2,3\s+\d/);
    expect(text).toMatch(/1 of 8 queue groups in use/);
    const up = await cli('listen', 'update', 'tcp4', 'dst-ip', '10.0.0.1', 'dst-port', '8080', 'action', '1,3');
    expect(up.err).toBe('');
    expect(up.out).toMatch(/^updated listen tcp4 dst-ip 10\.0\.0\.1 dst-port 8080 action 1,3 \(entry \d+, group \d+; was action 1,2,3\)\n$/);
    expect((await json('listen', 'list')).groups).toEqual({ capacity: 8, used: 2 });
    // a queue the adapter does not have, a list on a flow rule or the default, a bad list
    const bad = await cli('listen', 'add', 'tcp4', 'dst-ip', '10.0.0.1', 'dst-port', '8081', 'action', '1,9');
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/queue 9 does not exist/);
    const flowList = await cli('flow', 'add', ...FLOW.replace('action 2', 'action 1,2').split(' '));
    expect(flowList.code).not.toBe(0);
    expect(flowList.err).toMatch(/an action list \("1,2"\) is only for listen rules/);
    const defList = await cli('default', 'set', 'action', '0,1');
    expect(defList.code).not.toBe(0);
    expect(defList.err).toContain('"0,1"');
    expect((await cli('listen', 'add', 'tcp4', 'dst-ip', '10.0.0.1', 'dst-port', '8081', 'action', '1,,2')).err).toContain('bad action list "1,,2"');
    expect((await cli('listen', 'update', 'tcp4', 'dst-ip', '10.0.0.1', 'dst-port', '9999', 'action', '1,2')).err).toMatch(/no such listen rule/);
    // rules dump writes the list back; clean up
    expect((await cli('rules', 'dump')).out).toContain('listen tcp4 dst-ip 10.0.0.1 dst-port 8080 action 1,3\n');
    expect((await cli('listen', 'del', 'tcp4', 'dst-ip', '10.0.0.1', 'dst-port', '8080')).code).toBe(0);
    expect((await cli('listen', 'del', 'udp4', 'dst-ip', '10.0.0.1', 'dst-port', '5353')).code).toBe(0);
    expect((await json('listen', 'list')).groups).toEqual({ capacity: 8, used: 0 });
  });

  it('sets and shows the default action', async () => {
    expect((await cli('default', 'set', 'action', '3')).out).toBe('default action 3\n');
    expect(await json('default', 'show')).toEqual({ defaultAction: 3 });
    const bad = await cli('default', 'set', 'action', '8');
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/queue 8 .* 8 queues/);
    expect((await cli('default', 'set', 'action', '0')).code).toBe(0);
  });
});

describe('rules', () => {
  const file = (name: string, text: string) => {
    const p = join(DIR, name);
    writeFileSync(p, text);
    return p;
  };

  it('loads a file all or nothing: a bad word on line 4 applies nothing', async () => {
    const before = await json('rules', 'dump');
    const p = file('bad.rules', `# two good lines, then a bad one\n${FLOW.replace('40001', '41001')}\nlisten tcp4 dst-ip 10.0.0.1 dst-port 8080 action 1\nlisten tcp4 dst-ip 10.0.0.1 dst-porr 8081 action 1\n`);
    const r = await cli('rules', 'load', p);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/line 4/);
    expect(r.err).toContain('"dst-porr"');
    expect(await json('rules', 'dump')).toEqual(before);
  });

  it('rolls back what it added when a later rule fails in the hardware', async () => {
    const before = await json('rules', 'dump');
    // the last line repeats a flow the adapter already holds
    const p = file('dup.rules', `default action 5\nlisten udp4 dst-ip 10.0.0.99 dst-port 53 action 1\n${FLOW.replace('40001', '41002')}\n${FLOW}\n`);
    const r = await cli('rules', 'load', p);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/dup\.rules:4: flow already exists.*; nothing was applied/);
    expect(await json('rules', 'dump')).toEqual(before);
  });

  it('--json names the line of a rule that fails, in syntax and in the hardware', async () => {
    const bad = await cli('rules', 'load', file('bad-json.rules', `${FLOW.replace('40001', '41011')}\n\nlisten tcp4 dst-ip 10.0.0.1 dst-porr 8081 action 1\n`), '--json');
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.out).error).toMatchObject({ code: 'ERULE', line: 3, word: 'dst-porr' });
    // line 3 repeats a flow the adapter already holds
    const dup = await cli('rules', 'load', file('dup-json.rules', `# a comment\n${FLOW.replace('40001', '41012')}\n${FLOW}\n`), '--json');
    expect(dup.code).toBe(1);
    expect(JSON.parse(dup.out).error).toMatchObject({ code: 'EEXIST', line: 3 });
  });

  it('shows control bytes of a garbage rules file escaped, never raw', async () => {
    const r = await cli('rules', 'load', file('garbage.rules', 'listen tcp4 dst-ip 10.0.0.1 dst-port \x1b[2J\x07 action 1\n'));
    expect(r.code).toBe(1);
    expect(r.err).toContain('\\x1b[2J\\x07');
    expect(r.err).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
  });

  it('an unknown queue anywhere in the file applies nothing', async () => {
    const before = await json('rules', 'dump');
    const r = await cli('rules', 'load', file('q.rules', `${FLOW.replace('40001', '41003')}\nlisten tcp4 dst-ip 10.0.0.1 dst-port 81 action 12\n`));
    expect(r.err).toMatch(/q\.rules:2: .*queue 12 does not exist/);
    expect(await json('rules', 'dump')).toEqual(before);
  });

  it('loads a good file and dumps it back', async () => {
    const text = `${FLOW.replace('40001', '42000')}\nlisten tcp4 dst-ip 10.0.0.1 dst-port 443 action 4\ndefault action 1\n`;
    const r = await cli('rules', 'load', file('good.rules', text));
    expect(r.err).toBe('');
    expect(r.out).toMatch(/loaded 3 rules/);
    const dump = (await cli('rules', 'dump')).out;
    for (const line of text.trim().split('\n')) expect(dump).toContain(line);
    // clean up for later tests
    expect((await cli('flow', 'del', ...FLOW.replace('40001', '42000').split(' '))).code).toBe(0);
    expect((await cli('listen', 'del', 'tcp4', 'dst-ip', '10.0.0.1', 'dst-port', '443')).code).toBe(0);
    expect((await cli('default', 'set', 'action', '0')).code).toBe(0);
  });
});

describe('regs and stats', () => {
  it('reads and writes by name and by address', async () => {
    expect((await cli('regs', 'write', 'core.SCRATCH', '0x12345678')).code).toBe(0);
    expect((await cli('regs', 'read', 'core.SCRATCH')).out).toBe('core.SCRATCH = 0x12345678 (305419896)\n');
    const byAddr = await json('regs', 'read', '0x1c');
    expect(byAddr).toMatchObject({ name: 'core.SCRATCH', value: 0x12345678 });
    expect(await json('regs', 'read', 'core.QUEUES')).toMatchObject({ value: 8, access: 'ro' });
  });

  it('refuses writes to read-only and reads of write-only registers', async () => {
    const ro = await cli('regs', 'write', 'core.QUEUES', '4');
    expect(ro.code).not.toBe(0);
    expect(ro.err).toMatch(/core\.QUEUES is read-only/);
    const wo = await cli('regs', 'read', 'flow.COMMAND');
    expect(wo.code).not.toBe(0);
    expect(wo.err).toMatch(/flow\.COMMAND is write-only/);
    for (const bad of ['0x1_0000_0000', '4294967296', '1.5', 'ten', '-2147483649']) {
      const r = await cli('regs', 'write', 'core.SCRATCH', bad, '--json');
      expect(r.code).toBe(1);
      expect(JSON.parse(r.out).error.code).toBe('EINVAL'); // a bad value, not a matter of access
      expect(JSON.parse(r.out).error.message).toContain(`bad register value "${bad}"`);
    }
    const unknown = await cli('regs', 'read', 'core.NOPE');
    expect(unknown.err).toMatch(/no register "NOPE"/);
  });

  it('dumps every register once as JSON', async () => {
    const r = await cli('regs', 'dump', '--json');
    expect(r.out.trim().split('\n')).toHaveLength(1);
    const names = JSON.parse(r.out).registers.map((x: { name: string }) => x.name);
    expect(names).toContain('counters.Q_FRAMES[7]');
    expect(names).toContain('flow.COUNT');
  });

  it('stats --json prints the counters as one object', async () => {
    const s = await json('stats');
    expect(s).toMatchObject({ rxFrames: expect.any(Number), drops: { runt: expect.any(Number), queue_full: expect.any(Number) } });
    expect(s.queues).toHaveLength(8);
    expect((await cli('stats')).out).toMatch(/queue\s+frames\s+bytes\s+drops/);
  });
});

describe('egress', () => {
  it('says a bare core (sim serve without --pty) has no egress block, for every subcommand', async () => {
    for (const args of [['list'], ['set', '1', '02:00:5e:10:00:01'], ['enable'], ['disable']]) {
      const r = await cli('egress', ...args, '--json');
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/this adapter has no egress block \(per-queue MACs exist on the two-port NIC/);
      expect(JSON.parse(r.out).error.code).toBe('ENOBLOCK');
    }
  });

  it('checks the MAC before reaching the adapter', async () => {
    const r = await cli('egress', 'set', '1', '02:00:5e:10:00:zz');
    expect(r.code).toBe(1);
    expect(r.err).toBe('sipnic: "02:00:5e:10:00:zz" is not a MAC address (like 02:00:5e:10:00:01)\n');
  });

  it('help teaches with an example and the serial line', async () => {
    const r = await cli('egress', '--help');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/set <queue> <mac>/);
    expect(r.out).toMatch(/Examples:\n {2}sipnic egress set 1 02:00:5e:10:00:01 --device \/dev\/ttyUSB0\n/);
    const set = await cli('egress', 'set', '--help');
    expect(set.out).toMatch(/Example:\n {2}sipnic egress set 1 02:00:5e:10:00:01/);
    expect(set.out).toMatch(/sipnic egress set … --device \/dev\/ttyUSB0/);
  });
});

describe('replay and demo', () => {
  it('sim replay writes the queue captures, drop.pcap and summary.json', async () => {
    const out = join(DIR, 'replay');
    const rules = join(DIR, 'replay.rules');
    writeFileSync(rules, readFileSync(join(ROOT, 'examples/demo.rules'), 'utf8').replace('action 3', 'action -1'));
    const input = join(PCAPS, 'pcapplusplus__three_http_streams.pcap');
    const r = await cli('sim', 'replay', input, '--rules', rules, '--out', out, '--json');
    expect(r.err).toBe('');
    const summary = JSON.parse(r.out);
    expect(summary).toMatchObject({ frames: 28, queues: { '0': { frames: 13 }, '1': { frames: 5 }, '2': { frames: 5 } }, drops: { rule: 5 }, dropped: 5 });
    expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'))).toEqual(summary);
    const inFrames = readCapture(readFileSync(input)).frames;
    const q1 = readCapture(readFileSync(join(out, 'queue-1.pcap'))).frames;
    expect(q1).toHaveLength(5);
    // original timestamps and bytes, arrival order
    const first = inFrames.find((f) => Buffer.from(f.data).equals(Buffer.from(q1[0].data)))!;
    expect([q1[0].tsSec, q1[0].tsUsec]).toEqual([first.tsSec, first.tsUsec]);
    expect(readCapture(readFileSync(join(out, 'drop.pcap'))).frames).toHaveLength(5);
    expect(existsSync(join(out, 'queue-3.pcap'))).toBe(false);
  });

  it('sim replay --trace writes an FST waveform of the run', async () => {
    const trace = join(DIR, 'replay.fst');
    const input = join(PCAPS, 'tcpdump__dns_tcp.pcap');
    const r = await cli('sim', 'replay', input, '--rules', join(ROOT, 'examples/demo.rules'), '--out', join(DIR, 'traced'), '--trace', trace, '--json');
    expect(r.err).toBe('');
    expect(JSON.parse(r.out)).toMatchObject({ frames: 11 });
    const fst = readFileSync(trace);
    expect(fst.length).toBeGreaterThan(1000);
    // FST files open with a header block (type 0) and carry the top module's signal names
    expect(fst[0]).toBe(0);
  });

  it('sim replay refuses an --out it cannot create at once, before simulating', async () => {
    const r = await cli('sim', 'replay', join(PCAPS, 'tcpdump__dns_tcp.pcap'), '--rules', join(ROOT, 'examples/demo.rules'), '--out', '/proc/sys/sipnic-nope/out', '--json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out).error).toMatchObject({ code: 'EOUT', message: expect.stringContaining('cannot write the output folder /proc/sys/sipnic-nope/out') });
  }, 30_000);

  it('sim replay writes times a pcap record cannot hold at the nearest it can (counted), and replaces earlier outputs only when complete', async () => {
    const out = join(DIR, 'replay-times');
    const rules = join(ROOT, 'examples/demo.rules');
    // an earlier run's outputs
    expect((await cli('sim', 'replay', join(PCAPS, 'pcapplusplus__three_http_streams.pcap'), '--rules', rules, '--out', out)).code).toBe(0);
    // a bad rules file fails before anything is replaced
    const badRules = join(DIR, 'bad-queue.rules');
    writeFileSync(badRules, 'default action 99\n');
    expect((await cli('sim', 'replay', join(PCAPS, 'tcpdump__dns_tcp.pcap'), '--rules', badRules, '--out', out)).code).toBe(1);
    expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).frames).toBe(28);
    // two frames: µs 2,000,000 past the last second a record holds, and an ordinary one
    const frame = new Uint8Array(60).fill(0xab);
    const pcap = Buffer.alloc(24 + 2 * (16 + 60));
    pcap.writeUInt32LE(0xa1b2c3d4, 0); pcap.writeUInt16LE(2, 4); pcap.writeUInt16LE(4, 6); pcap.writeUInt32LE(65535, 16); pcap.writeUInt32LE(1, 20);
    [[0xffffffff, 2_000_000], [1000, 5]].forEach(([sec, usec], i) => {
      const at = 24 + i * 76;
      pcap.writeUInt32LE(sec, at); pcap.writeUInt32LE(usec, at + 4); pcap.writeUInt32LE(60, at + 8); pcap.writeUInt32LE(60, at + 12);
      pcap.set(frame, at + 16);
    });
    const input = join(DIR, 'late.pcap');
    writeFileSync(input, pcap);
    const r = await cli('sim', 'replay', input, '--rules', rules, '--out', out, '--json');
    expect(r.err).toBe('');
    expect(JSON.parse(r.out)).toMatchObject({ frames: 2, timestampsClamped: 1, queues: { '0': { frames: 2 } } });
    const q0 = readCapture(readFileSync(join(out, 'queue-0.pcap'))).frames;
    expect(q0.map((f) => [f.tsSec, f.tsUsec])).toEqual([[0xffffffff, 999_999], [1000, 5]]);
    expect(existsSync(join(out, 'queue-1.pcap'))).toBe(false); // the earlier run's outputs are gone, all of them
    expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).frames).toBe(2);
    expect(readdirSync(out).filter((n) => n.startsWith('.replay-'))).toEqual([]);
  });

  it('sim replay of another link type is a clear error', async () => {
    const r = await cli('sim', 'replay', join(PCAPS, 'pcapplusplus__one_ipv6_http_stream.pcap'), '--rules', join(ROOT, 'examples/demo.rules'), '--out', join(DIR, 'raw'));
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/link type .* is not Ethernet/);
  });

  it('demo --json prints one object with per-queue counts', async () => {
    const r = await cli('demo', '--json', '--out', join(DIR, 'demo'));
    expect(r.err).toBe('');
    const d = JSON.parse(r.out);
    expect(d.queues).toEqual({
      '0': { frames: 13, bytes: expect.any(Number) },
      '1': { frames: 5, bytes: expect.any(Number) },
      '2': { frames: 5, bytes: expect.any(Number) },
      '3': { frames: 5, bytes: expect.any(Number) },
    });
    const text = await cli('demo', '--out', join(DIR, 'demo'));
    expect(text.out).toMatch(/queue 1\s+5/);
  });
});

describe('sim serve protocol bounds', () => {
  /** One raw NDJSON exchange with the running `sim serve`: the answers to the lines, in order. */
  async function raw(lines: object[]): Promise<any[]> {
    const { connect } = await import('node:net');
    const sock = connect(SOCKET);
    const answers: any[] = [];
    let buf = '';
    await new Promise<void>((resolve, reject) => {
      sock.on('error', reject);
      sock.on('data', (d) => {
        buf += d.toString('utf8');
        let nl;
        while ((nl = buf.indexOf('\n')) >= 0) {
          answers.push(JSON.parse(buf.slice(0, nl)));
          buf = buf.slice(nl + 1);
        }
        if (answers.length === lines.length) resolve();
      });
      sock.write(lines.map((l) => JSON.stringify(l) + '\n').join(''));
    });
    sock.end();
    return answers;
  }

  it('refuses a write without a value, a read without an address and batch words that are not numbers (EPROTO naming the field)', async () => {
    expect((await cli('regs', 'write', 'core.SCRATCH', '0x5a5a5a5a')).code).toBe(0);
    const a = await raw([
      { id: 1, op: 'write', addr: 0x1c },
      { id: 2, op: 'read' },
      { id: 3, op: 'batch', ops: ['x'] },
      { id: 4, op: 'batch', ops: [0, 0x1c, -1] },
      { id: 5, op: 'batch', ops: new Array(3 * 16384 + 3).fill(0) },
      { id: 6, op: 'read', addr: 0x1c },
    ]);
    expect(a[0].error).toMatchObject({ code: 'EPROTO', message: expect.stringContaining('"value" is missing') });
    expect(a[1].error).toMatchObject({ code: 'EPROTO', message: expect.stringContaining('"addr" is missing') });
    expect(a[2].error).toMatchObject({ code: 'EPROTO', message: expect.stringContaining('"ops"[0] is "x"') });
    expect(a[3].error).toMatchObject({ code: 'EPROTO', message: expect.stringContaining('"ops"[2] is -1') });
    expect(a[4].error).toMatchObject({ code: 'EPROTO', message: expect.stringContaining('at most 49152') });
    // nothing above wrote SCRATCH (a write without value used to write 0)
    expect(a[5].value).toBe(0x5a5a5a5a);
  });

  it('a client batch larger than one request is split and answered whole', async () => {
    const { SocketBus } = await import('../host/src/bus/socket-bus.js');
    const bus = await SocketBus.connect(SOCKET);
    try {
      const n = 20000; // 60,000 words: two requests
      const ops = new Uint32Array(3 * n);
      for (let i = 0; i < n; i++) ops.set([0, 0x1c, 0], 3 * i);
      const values = await bus.batch(ops);
      expect(values.length).toBe(n);
      expect(values.every((v) => v === 0x5a5a5a5a)).toBe(true);
    } finally {
      await bus.close();
    }
  });
});
