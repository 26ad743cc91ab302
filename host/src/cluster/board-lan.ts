// `cluster up --board-sim`: the board simulator (`sipnic sim serve --board`) in front of
// namespaces set up as the real hosts of docs/deploy.md. Nothing reaches into the simulator but
// its two TAPs and its PTY:
//
//   <name>-client: sn-wire (TAP <name>-b0, port 0) 10.77.0.100/24
//   sim serve --board (root namespace): the board's design, the PTY paced at --baud
//   <name>-lan: bridge sn-switch ── TAP <name>-b1 (port 1), sn-primary, sn-p1 … sn-pN (veths)
//   <name>-primary: sn-lan 192.168.77.1/24, ip_forward=0; `sipnic --device PTY primary --interface sn-lan`
//   <name>-p<i>: sn-lan 192.168.77.(1+i)/24, 10.77.0.1/32 on lo, arp_ignore=1, 10.77.0.0/24 on-link
//                out of sn-lan from 10.77.0.1; `sipnic monitor --interface sn-lan`
import { ClusterError, ip, moveTap, readText, saveState, sh, startBackground, waitFor, type BoardSimPlan, type ClusterPlan, type ClusterState } from './netns.js';

/** What `sim serve --board --json` prints once its PTY and TAPs exist. */
interface BoardSimInfo {
  pty: string;
  baud: number;
  taps: [string, string];
}

/** The simulator's JSON line in its log (stderr lines are mixed in), once written. */
function boardSimInfo(log: string): BoardSimInfo | undefined {
  for (const line of log.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const o = JSON.parse(line) as Partial<BoardSimInfo>;
      if (typeof o.pty === 'string' && o.taps) return o as BoardSimInfo;
    } catch {
      // a line being written
    }
  }
  return undefined;
}

export function boardSimOf(plan: ClusterPlan): BoardSimPlan {
  if (!plan.boardSim) throw new ClusterError('EINVAL', `cluster "${plan.name}" was not planned with --board-sim`);
  return plan.boardSim;
}

/** The data plane of --board-sim (netns.ts clusterUp's dataPlane hook): the simulator, port 0 to the client, port 1 to the LAN and its hosts. */
export async function boardSimDataPlane(state: ClusterState, step: (name: string) => void, progress: (line: string) => void, signal?: AbortSignal): Promise<void> {
  const { plan } = state;
  const b = boardSimOf(plan);
  // 2. the simulator creates both TAPs in the root namespace; they vanish when it ends
  step('adapter');
  progress(`board simulator: port 0 on TAP ${b.taps[0]}, port 1 on TAP ${b.taps[1]}, serial line at ${b.baud} baud`);
  state.taps = [...b.taps];
  saveState(state);
  const sim = startBackground(state, 'board-sim', ['sim', 'serve', '--board', '--tap0', b.taps[0], '--tap1', b.taps[1], '--baud', String(b.baud), '--json']);
  let info: BoardSimInfo | undefined;
  await waitFor('the board simulator', () => (info = boardSimInfo(readText(sim.log))) !== undefined, { timeoutMs: 60_000, processes: [sim], signal });
  state.pty = info!.pty;
  saveState(state);

  // 3. port 0 is the clients' wire; port 1 joins the LAN's bridge with one veth per host
  step('links');
  progress(`links: ${plan.links.wire} ${plan.clientIp}/${plan.prefixLength} in ${plan.namespaces.client}; bridge ${b.bridge} in ${b.namespaces.lan} with ${b.taps[1]} and the hosts' ${b.lanLink}`);
  await moveTap(b.taps[0], plan.namespaces.client, plan.links.wire, plan.clientMac, `${plan.clientIp}/${plan.prefixLength}`);
  const lan = b.namespaces.lan;
  await ip('-n', lan, 'link', 'add', b.bridge, 'type', 'bridge');
  await ip('link', 'set', b.taps[1], 'netns', lan);
  await ip('-n', lan, 'link', 'set', b.taps[1], 'master', b.bridge);
  await ip('-n', lan, 'link', 'set', b.taps[1], 'up');
  await ip('-n', lan, 'link', 'set', b.bridge, 'up');
  const hosts = [
    { ns: b.namespaces.primary, port: b.lanPorts.primary, mac: b.macs.primary, lanIp: b.lanIps.primary },
    ...plan.namespaces.processors.map((ns, i) => ({ ns, port: b.lanPorts.processors[i], mac: b.macs.processors[i], lanIp: b.lanIps.processors[i] })),
  ];
  for (const h of hosts) {
    step('lan');
    await ip('-n', lan, 'link', 'add', h.port, 'type', 'veth', 'peer', 'name', b.lanLink, 'netns', h.ns);
    await ip('-n', lan, 'link', 'set', h.port, 'master', b.bridge);
    await ip('-n', lan, 'link', 'set', h.port, 'up');
    await sh('ip', ['netns', 'exec', h.ns, 'sysctl', '-qw', `net.ipv6.conf.${b.lanLink}.disable_ipv6=1`]);
    await ip('-n', h.ns, 'link', 'set', b.lanLink, 'address', h.mac);
    await ip('-n', h.ns, 'addr', 'add', `${h.lanIp}/${b.lanPrefixLength}`, 'dev', b.lanLink);
    await ip('-n', h.ns, 'link', 'set', b.lanLink, 'up');
  }
  // the primary's host never routes what queue 0 brings it (frames for the cluster address)
  await sh('ip', ['netns', 'exec', b.namespaces.primary, 'sysctl', '-qw', 'net.ipv4.ip_forward=0']);
  // each processor as an LVS direct-routing real server (docs/deploy.md, "Each processor's host")
  for (const ns of plan.namespaces.processors) {
    await ip('-n', ns, 'addr', 'add', `${plan.clusterIp}/32`, 'dev', 'lo');
    for (const k of ['all', b.lanLink]) await sh('ip', ['netns', 'exec', ns, 'sysctl', '-qw', `net.ipv4.conf.${k}.arp_ignore=1`]);
    await ip('-n', ns, 'route', 'add', `${clientNetwork(plan)}/${plan.prefixLength}`, 'dev', b.lanLink, 'src', plan.clusterIp);
  }
}

/** The client network (the cluster address's /prefixLength network), e.g. 10.77.0.0. */
function clientNetwork(plan: ClusterPlan): string {
  const n = plan.clusterIp.split('.').reduce((a, o) => (a << 8) | Number(o), 0) >>> 0;
  const mask = plan.prefixLength === 0 ? 0 : (0xffffffff << (32 - plan.prefixLength)) >>> 0;
  const net = (n & mask) >>> 0;
  return [24, 16, 8, 0].map((s) => (net >>> s) & 255).join('.');
}

/** The primary's TCP control address on the LAN (what the monitors connect to). */
export const lanControl = (b: BoardSimPlan): string => `${b.lanIps.primary}:${b.controlPort}`;

/** `sipnic` arguments of the primary in its host's namespace, on the board simulator's PTY. */
export function boardPrimaryArgs(state: ClusterState): string[] {
  const { plan } = state;
  const b = boardSimOf(plan);
  if (!state.pty) throw new ClusterError('ESTEP', 'the board simulator has no PTY recorded');
  return [
    '--device', state.pty,
    '--baud', String(b.baud),
    'primary',
    '--interface', b.lanLink,
    '--ip', plan.clusterIp,
    '--mac', plan.clusterMac,
    '--processors', String(plan.processors),
    '--secrets', plan.paths.secrets,
    '--control', lanControl(b),
    // the tools in the root namespace ask it here (`cluster status`, the demo): a path works across namespaces
    '--control', `unix:${plan.paths.control}`,
  ];
}

/** `sipnic` arguments of processor p's monitor in its host's namespace (its port range is the namespace's). */
export function boardMonitorArgs(plan: ClusterPlan, p: number, share: string): string[] {
  const b = boardSimOf(plan);
  return ['monitor', '--primary', lanControl(b), '--processor', String(p), '--secret-file', plan.paths.secrets, '--interface', b.lanLink, ...(share === 'none' ? [] : ['--share', share])];
}
