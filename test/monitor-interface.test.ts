// `sipnic monitor --interface IF` (issue 10, item 1): a real monitor process inside a
// processor's network namespace learns its stack's connections from the SYNs on its own
// interface (AF_PACKET, kernel SYN filter), with no adapter and no frame port, and asks the
// primary (in-process here, over a real SimBus adapter) for each exact rule. Real Linux TCP
// between a client namespace and the processor namespace over a veth pair made here (addresses
// 10.98.0.0/24, nothing routed out), removed afterwards, on failure too. The monitor's /proc
// poll runs once at start only (--poll 600000), so a pinned connection was pinned from its SYN.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSim } from '../sim/addon.js';
import { SimBus } from '../host/src/bus/sim-bus.js';
import { Adapter } from '../host/src/driver/index.js';
import { parseIp } from '../host/src/codec/ip.js';
import { Primary } from '../host/src/cluster/primary.js';
import { SIPNIC_BIN } from '../host/src/cluster/netns.js';
import { NullFramePort } from './support/null-frame-port.js';
import { until } from './support/until.js';

const execFileP = promisify(execFile);
const skipReason = process.platform !== 'linux' ? 'needs Linux' : process.getuid?.() !== 0 ? 'needs root (network namespaces, veth, packet sockets); CI runs it as root' : '';
if (skipReason) console.warn(`test/monitor-interface.test.ts: skipped: ${skipReason}`);

const tag = `${process.pid % 10000}`;
const NSP = `snmi${tag}-p1`;
const NSC = `snmi${tag}-client`;
const IFP = 'sn-p1';
const IFC = 'sn-wire';
const CLUSTER = '10.98.0.1';
const CLIENT = '10.98.0.100';
const DIR = mkdtempSync(join(tmpdir(), 'sipnic-monitor-if-'));
const ip = (...args: string[]) => execFileP('ip', args);
const inNs = (ns: string, ...args: string[]) => ip('netns', 'exec', ns, ...args);

const children: ChildProcess[] = [];

/** Starts a process in a namespace; resolves with it and its first stdout line matching `ready`. */
function startIn(ns: string, args: string[], ready: RegExp): Promise<{ child: ChildProcess; line: string }> {
  const child = spawn('ip', ['netns', 'exec', ns, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = out.split('\n').find((l) => ready.test(l));
      if (m) resolve({ child, line: m });
    });
    child.stderr!.on('data', (d: Buffer) => void (err += d.toString()));
    child.on('exit', (code) => reject(new Error(`${args.slice(0, 3).join(' ')} in ${ns} exited ${code}: ${err}`)));
  });
}

const node = (script: string) => [process.execPath, '-e', script];

async function removeNamespaces(): Promise<void> {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const ns of [NSP, NSC]) await ip('netns', 'del', ns).catch(() => {});
}

describe.skipIf(skipReason !== '')('sipnic monitor --interface', () => {
  let primary: Primary;
  let adapter: Adapter;
  const control = join(DIR, 'primary.sock');

  beforeAll(async () => {
    await removeNamespaces();
    try {
      for (const ns of [NSP, NSC]) {
        await ip('netns', 'add', ns);
        await inNs(ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1');
        await inNs(ns, 'ip', 'link', 'set', 'lo', 'up');
      }
      await ip('link', 'add', IFP, 'netns', NSP, 'type', 'veth', 'peer', 'name', IFC, 'netns', NSC);
      await inNs(NSP, 'ip', 'addr', 'add', `${CLUSTER}/24`, 'dev', IFP);
      await inNs(NSC, 'ip', 'addr', 'add', `${CLIENT}/24`, 'dev', IFC);
      await inNs(NSP, 'ip', 'link', 'set', IFP, 'up');
      await inNs(NSC, 'ip', 'link', 'set', IFC, 'up');
    } catch (err) {
      await removeNamespaces();
      throw err;
    }
    adapter = await Adapter.open(new SimBus(createSim({ width: 64 })));
    await adapter.setDefault(0);
    primary = new Primary({
      adapter,
      framePort: new NullFramePort(),
      identity: { mac: Uint8Array.of(2, 0x53, 0x4e, 0, 0, 1), ips: [parseIp(CLUSTER)] },
      processors: 1,
      secrets: new Map([[1, 'monitor-interface-secret']]),
      heartbeatTimeoutMs: 5000,
    });
    await primary.start();
    await primary.listen({ kind: 'unix', path: control });
    writeFileSync(join(DIR, 'secret'), 'monitor-interface-secret\n');
  }, 30_000);

  afterAll(async () => {
    await primary?.close();
    await removeNamespaces();
    rmSync(DIR, { recursive: true, force: true });
  });

  it('a connection into the namespace and one out of it are pinned from their SYNs, as the frame port copies made them', async () => {
    // a server of the processor, listening before the monitor's one /proc poll
    await startIn(NSP, node(`require('net').createServer((s) => s.on('error', () => {})).listen(8080, '${CLUSTER}', () => console.log('ready'))`), /^ready/);
    // a server on the client side for the outgoing connection
    await startIn(NSC, node(`require('net').createServer((s) => s.on('error', () => {})).listen(9000, '${CLIENT}', () => console.log('ready'))`), /^ready/);
    const monitorArgs = [process.execPath, SIPNIC_BIN, 'monitor', '--primary', `unix:${control}`, '--processor', '1', '--secret-file', join(DIR, 'secret'), '--interface', IFP, '--poll', '600000'];
    await startIn(NSP, monitorArgs, /processor 1 connected/);
    await until('the listen rule', () => primary.registry.listensOf(1).length === 1);

    const incoming = await startIn(NSC, node(`const s = require('net').connect(8080, '${CLUSTER}', () => console.log('port ' + s.localPort)); s.on('error', () => {})`), /^port \d+/);
    const clientPort = Number(/\d+/.exec(incoming.line)![0]);
    const outgoing = await startIn(NSP, node(`const s = require('net').connect(9000, '${CLIENT}', () => console.log('port ' + s.localPort)); s.on('error', () => {})`), /^port \d+/);
    const localPort = Number(/\d+/.exec(outgoing.line)![0]);

    const flows = await until('both flows in the registry', () => {
      const f = primary.registry.flowsOf(1);
      return f.length === 2 && f;
    });
    const byPort = (p: number) => flows.find((f) => f.dstPort === p || f.srcPort === p);
    expect(byPort(8080)).toMatchObject({ family: 4, proto: 'tcp', srcIp: CLIENT, srcPort: clientPort, dstIp: CLUSTER, dstPort: 8080 });
    expect(byPort(9000)).toMatchObject({ family: 4, proto: 'tcp', srcIp: CLIENT, srcPort: 9000, dstIp: CLUSTER, dstPort: localPort });
    // the rules are in the adapter's table, for queue 1
    expect((await adapter.flows.list()).filter((e) => e.action === 1)).toHaveLength(2);
    // and the monitor says where it learnt them (its heartbeat carries its counters)
    const monitor = await until('the monitor counters', () => {
      const m = (primary.stats().processors as { monitor: Record<string, number> | null }[])[0].monitor;
      return m && m.pinnedByRequest + m.pinnedByOpen === 2 && m;
    });
    expect(monitor).toMatchObject({ pinnedByRequest: 1, pinnedByOpen: 1, pinnedByPoll: 0 });
    // its hello named its interface's MAC (where a primary on Ethernet sends its slow path)
    const { stdout } = await inNs(NSP, 'cat', `/sys/class/net/${IFP}/address`);
    expect(primary.registry.processor(1).mac).toBe(stdout.trim());
  }, 60_000);
});
