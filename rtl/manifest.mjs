#!/usr/bin/env node
// The RTL's one source manifest: for every build target (the core the addon verilates, the NIC,
// the board top, the PTY simulator's top, each C++ testbench) the ordered source list, the
// include folders and the simulation models. Read by scripts/install.mjs, scripts/build-pty-sim.mjs,
// scripts/lint-rtl.mjs, the scripts/test-*.sh testbench builds (through the command line below)
// and host/src/board/build.ts (yosys's read list).
//
// Why a module and not JSON: a list of files wants a comment per group saying why a module is
// there, and the one function that expands a target (groups, paths, models, SIPNIC_RTL_DIR) is
// then shared by every reader, the TypeScript board build included (types: manifest.d.mts),
// instead of being rewritten in each. It stays plain data plus that function: no globbing,
// so a new file is built only once it is listed here.
//
// Command line (for the shell scripts; paths absolute, one per line):
//   node rtl/manifest.mjs TARGET            verilator arguments: --top-module, -I<dir>..., sources,
//                                           models, C++ files, -CFLAGS -I<dir> of their headers
//   node rtl/manifest.mjs TARGET --top      the top module
//   node rtl/manifest.mjs TARGET --files    every file the build reads (for stamps), the manifest included
// SIPNIC_RTL_DIR points the rtl/ paths at another folder of the same layout.
import { existsSync, readdirSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const MANIFEST = fileURLToPath(import.meta.url);

/** Sources by folder, leaf modules first. `include`: the folder is an include folder (.vh). */
export const GROUPS = {
  // the steering core: ingress, parser, tables, steer, dispatch, queue FIFOs, counters, register
  // file, and the RAM/FIFO primitives every part builds on; sipnic_regs.vh is generated
  core: {
    dir: 'rtl/core',
    include: true,
    files: [
      'sipnic_ram_sdp.v', 'sipnic_ram_fifo.v', 'sipnic_sync_fifo.v',
      'sipnic_ingress.v', 'sipnic_parser.v', 'sipnic_addr_table.v', 'sipnic_listen_table.v',
      'sipnic_flow_hash.v', 'sipnic_flow_table.v', 'sipnic_events.v', 'sipnic_learn.v', 'sipnic_tx_snoop.v', 'sipnic_tx_learn.v', 'sipnic_steer.v', 'sipnic_dispatch.v',
      'sipnic_queue_fifo.v', 'sipnic_counters.v', 'sipnic_regfile.v', 'sipnic_core.v',
    ],
  },
  // the two-port NIC around the core: UART register bridge, bad-frame FIFOs, egress (MAC rewrite),
  // source MAC rewrite of the cluster-to-clients path, board block (identity, read-only MDIO master)
  nic: {
    dir: 'rtl/nic',
    files: [
      'sipnic_uart_rx.v', 'sipnic_uart_tx.v', 'sipnic_uart_bridge.v', 'sipnic_axis_reg.v', 'sipnic_frame_fifo.v', 'sipnic_egress.v',
      'sipnic_src_rewrite.v', 'sipnic_tx_processor.v', 'sipnic_mdio_master.v', 'sipnic_board_block.v', 'sipnic_nic.v',
    ],
  },
  // Ethernet MACs (GMII side, FCS), board independent
  eth: { dir: 'rtl/eth', files: ['sipnic_crc32.v', 'sipnic_eth_mac_rx.v', 'sipnic_eth_mac_tx.v'] },
  // modules made of ECP5 primitives (IDDRX1F, ODDRX1F, DELAYG)
  ecp5: { dir: 'rtl/board/ecp5', files: ['sipnic_rgmii_phy_if.v'] },
  // one board port: clock-crossing FIFOs, 8 <-> DATA_WIDTH pack/unpack, MACs, RGMII
  board: { dir: 'rtl/board', files: ['sipnic_async_fifo.v', 'sipnic_rx_pack.v', 'sipnic_tx_unpack.v', 'sipnic_colorlight_port.v'] },
  // simulation models of the ECP5 primitives, for Verilator only (yosys has the real cells)
  ecp5_io_models: { dir: 'sim/ecp5', model: true, files: ['IDDRX1F.v', 'ODDRX1F.v', 'DELAYG.v'] },
  ecp5_pll_models: { dir: 'sim/ecp5', model: true, files: ['EHXPLLL.v'] },
};

/**
 * Build targets. `sources`: group names or repository paths, in order; `cpp`: C++ files of a
 * Verilator --exe build; `cppInclude`: their include folders.
 */
export const TARGETS = {
  // sipnic_core: the addon's models (scripts/install.mjs, DATA_WIDTH 8 and 64), lint
  core: { top: 'sipnic_core', sources: ['core'] },
  // sipnic_nic: lint
  nic: { top: 'sipnic_nic', sources: ['core', 'nic'] },
  // sipnic_egress on its own: lint
  egress: { top: 'sipnic_egress', sources: ['rtl/nic/sipnic_axis_reg.v', 'rtl/nic/sipnic_egress.v'], include: ['rtl/core'] },
  // sipnic_src_rewrite on its own: lint
  src_rewrite: { top: 'sipnic_src_rewrite', sources: ['rtl/nic/sipnic_axis_reg.v', 'rtl/nic/sipnic_src_rewrite.v'] },
  // the Colorlight 5A-75B board top: sipnic board build (yosys), lint (with the models)
  board: {
    top: 'sipnic_colorlight_5a_75b',
    sources: ['core', 'nic', 'eth', 'ecp5', 'board', 'rtl/board/sipnic_colorlight_5a_75b.v'],
    models: ['ecp5_io_models', 'ecp5_pll_models'],
  },
  // the PTY simulator (sipnic sim serve --pty): the NIC behind its UART
  pty: {
    top: 'sipnic_pty_top',
    // sim/phy: a PHY's MDIO side (RTL8211F-like registers, link and speed set by the harness)
    sources: ['core', 'nic', 'sim/phy/sipnic_mdio_phy_model.v', 'sim/pty/sipnic_pty_top.v'],
    cpp: ['sim/pty/pty_sim.cpp'],
    cppInclude: ['sim/src'],
  },
  // testbenches (test/rtl, run by npm run test:rtl)
  core_tb: { top: 'sipnic_core', sources: ['core'], cpp: ['test/rtl/core_tb.cpp'], cppInclude: ['sim/src'] },
  learn_tb: { top: 'sipnic_core', sources: ['core'], cpp: ['test/rtl/learn_tb.cpp'], cppInclude: ['sim/src'] },
  flow_table_tb: {
    top: 'sipnic_flow_table',
    sources: ['rtl/core/sipnic_ram_sdp.v', 'rtl/core/sipnic_flow_hash.v', 'rtl/core/sipnic_flow_table.v'],
    include: ['rtl/core'],
    cpp: ['test/rtl/flow_table_tb.cpp'],
  },
  eth_mac_tb: {
    top: 'eth_mac_tb_top',
    sources: ['eth', 'ecp5', 'test/rtl/eth_mac_tb_top.v'],
    models: ['ecp5_io_models'],
    cpp: ['test/rtl/eth_mac_tb.cpp'],
  },
  uart_tb: {
    top: 'uart_tb_top',
    sources: ['core', 'rtl/nic/sipnic_uart_rx.v', 'rtl/nic/sipnic_uart_tx.v', 'rtl/nic/sipnic_uart_bridge.v', 'test/rtl/uart_tb_top.v'],
    cpp: ['test/rtl/uart_bridge_tb.cpp'],
    cppInclude: ['sim/src'],
  },
  counters_tb: {
    top: 'sipnic_counters',
    sources: ['rtl/core/sipnic_ram_sdp.v', 'rtl/core/sipnic_counters.v'],
    cpp: ['test/rtl/counters_tb.cpp'],
  },
  // the MDIO master against two PHY models and an empty address
  mdio_tb: {
    top: 'mdio_tb_top',
    sources: ['rtl/nic/sipnic_mdio_master.v', 'sim/phy/sipnic_mdio_phy_model.v', 'test/rtl/mdio_tb_top.v'],
    cpp: ['test/rtl/mdio_tb.cpp'],
  },
  nic_tb: { top: 'sipnic_nic', sources: ['core', 'nic'], cpp: ['test/rtl/nic_tb.cpp'], cppInclude: ['sim/src'] },
  board_port_tb: {
    top: 'board_port_tb_top',
    sources: ['eth', 'ecp5', 'board', 'test/rtl/board_port_tb_top.v'],
    models: ['ecp5_io_models'],
    cpp: ['test/rtl/board_port_tb.cpp'],
  },
};

/**
 * A target with absolute paths. `models: false` leaves the simulation models out (yosys);
 * `rtlDir` stands for the repository's rtl/ (default: SIPNIC_RTL_DIR, else rtl/).
 */
export function resolveTarget(name, { root = ROOT, models = true, rtlDir = process.env.SIPNIC_RTL_DIR } = {}) {
  const t = TARGETS[name];
  if (!t) throw new Error(`rtl/manifest.mjs: no target "${name}" (targets: ${Object.keys(TARGETS).join(', ')})`);
  const rtl = rtlDir ? resolve(root, rtlDir) : join(root, 'rtl');
  const abs = (p) => (isAbsolute(p) ? p : p === 'rtl' || p.startsWith('rtl/') ? join(rtl, p.slice(4)) : join(root, p));
  const sources = [];
  const include = [];
  const sim = [];
  const add = (list, entry) => {
    const g = GROUPS[entry];
    if (!g) {
      list.push(abs(entry));
      return;
    }
    for (const f of g.files) list.push(abs(`${g.dir}/${f}`));
    if (g.include) include.push(abs(g.dir));
  };
  for (const s of t.sources) add(sources, s);
  for (const d of t.include ?? []) include.push(abs(d));
  if (models) for (const m of t.models ?? []) add(sim, m);
  const cpp = (t.cpp ?? []).map(abs);
  const cppIncludeDirs = (t.cppInclude ?? []).map(abs);
  const headers = (dirs, re) => dirs.flatMap((d) => (existsSync(d) ? readdirSync(d).filter((f) => re.test(f)).sort().map((f) => join(d, f)) : []));
  return {
    name,
    top: t.top,
    /** Verilog files, in order, simulation models last */
    sources: [...sources, ...sim],
    includeDirs: [...new Set(include)],
    cpp,
    cppIncludeDirs,
    /** every file the build reads: sources, headers of the include folders, C++ files, this manifest */
    files: [...new Set([...sources, ...sim, ...headers([...new Set(include)], /\.(vh|svh)$/), ...cpp, ...headers(cppIncludeDirs, /\.h$/), MANIFEST])],
  };
}

/** Verilator arguments of a target: --top-module, -I<dir>..., sources, models, C++ files and their -CFLAGS -I<dir>. */
export function verilatorArgs(target) {
  return [
    '--top-module', target.top,
    ...target.includeDirs.map((d) => `-I${d}`),
    ...target.sources,
    ...target.cpp,
    ...target.cppIncludeDirs.flatMap((d) => ['-CFLAGS', `-I${d}`]),
  ];
}

if (process.argv[1] && resolve(process.argv[1]) === MANIFEST) {
  const [name, opt] = process.argv.slice(2);
  try {
    const t = resolveTarget(name);
    const missing = t.files.filter((f) => !existsSync(f));
    if (missing.length) throw new Error(`rtl/manifest.mjs: target ${name}: missing ${missing.join(', ')}`);
    const lines = opt === '--top' ? [t.top] : opt === '--files' ? t.files : opt === undefined ? verilatorArgs(t) : null;
    if (!lines) throw new Error(`rtl/manifest.mjs: unknown option ${opt} (--top, --files)`);
    process.stdout.write(`${lines.join('\n')}\n`);
  } catch (err) {
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
}
