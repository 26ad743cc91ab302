// nextpnr's results: the JSON of `--report FILE` (per-clock Fmax beside its constraint, and
// cell use), with the log's "Max frequency for clock" lines as a fallback when nextpnr stopped
// before writing the report (it does so when timing fails without --timing-allow-fail).
import { BoardError } from './boards.js';

export interface ClockResult {
  /** Clock net as nextpnr names it, without its `$glbnet$` prefix and `$TRELLIS_IO_IN` suffix. */
  name: string;
  fmaxMHz: number;
  targetMHz: number;
  met: boolean;
}

export interface Use {
  used: number;
  available: number;
}

export interface Utilization {
  /** TRELLIS_COMB: LUT4s, including those of carry chains and distributed RAM. */
  lut4: Use;
  /** TRELLIS_FF. */
  ff: Use;
  /** DP16KD block RAMs. */
  ebr: Use;
  /** Every cell type nextpnr reported. */
  cells: Record<string, Use>;
}

export interface PnrResult {
  clocks: ClockResult[];
  utilization?: Utilization;
}

const clockName = (net: string): string => net.replace(/^\$glbnet\$/, '').replace(/\$TRELLIS_IO_IN$/, '');

const isUse = (v: unknown): v is Use =>
  typeof v === 'object' && v !== null && typeof (v as Use).used === 'number' && typeof (v as Use).available === 'number';

/** Parses the JSON nextpnr-ecp5 writes with `--report`. */
export function parseNextpnrReport(text: string): PnrResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new BoardError('EREPORT', `nextpnr report is not JSON: ${(err as Error).message}`, { cause: err });
  }
  const r = json as { fmax?: Record<string, { achieved?: unknown; constraint?: unknown }>; utilization?: Record<string, unknown> };
  if (typeof r !== 'object' || r === null || typeof r.fmax !== 'object' || typeof r.utilization !== 'object') {
    throw new BoardError('EREPORT', 'nextpnr report lacks "fmax" or "utilization"');
  }
  const clocks: ClockResult[] = [];
  for (const [net, v] of Object.entries(r.fmax ?? {})) {
    if (typeof v?.achieved !== 'number' || typeof v?.constraint !== 'number') {
      throw new BoardError('EREPORT', `nextpnr report: clock ${net} lacks achieved/constraint`);
    }
    clocks.push(clock(net, v.achieved, v.constraint));
  }
  const cells: Record<string, Use> = {};
  for (const [type, v] of Object.entries(r.utilization ?? {})) if (isUse(v)) cells[type] = { used: v.used, available: v.available };
  const need = (type: string): Use => {
    const u = cells[type];
    if (!u) throw new BoardError('EREPORT', `nextpnr report: no utilization for ${type}`);
    return u;
  };
  return { clocks: sortClocks(clocks), utilization: { lut4: need('TRELLIS_COMB'), ff: need('TRELLIS_FF'), ebr: need('DP16KD'), cells } };
}

/** The last "Max frequency for clock" line of each clock in a nextpnr log. */
export function parseNextpnrLog(text: string): PnrResult {
  const found = new Map<string, ClockResult>();
  const re = /Max frequency for clock\s+'([^']+)':\s+([0-9.]+)\s+MHz\s+\((PASS|FAIL) at\s+([0-9.]+)\s+MHz\)/g;
  for (const m of text.matchAll(re)) found.set(m[1], clock(m[1], Number(m[2]), Number(m[4])));
  return { clocks: sortClocks([...found.values()]) };
}

function clock(net: string, fmax: number, target: number): ClockResult {
  const round = (x: number) => Math.round(x * 100) / 100;
  return { name: clockName(net), fmaxMHz: round(fmax), targetMHz: round(target), met: fmax >= target };
}

const sortClocks = (c: ClockResult[]) => c.sort((a, b) => a.name.localeCompare(b.name));

/** Clocks below their constraint. */
export const failingClocks = (r: PnrResult): ClockResult[] => r.clocks.filter((c) => !c.met);

/** "clk_core 61.20 MHz (target 50.00) ok" lines for people. */
export function formatClocks(clocks: readonly ClockResult[]): string[] {
  const w = Math.max(5, ...clocks.map((c) => c.name.length));
  return clocks.map((c) => `  ${c.name.padEnd(w)}  ${c.fmaxMHz.toFixed(2).padStart(7)} MHz  (target ${c.targetMHz.toFixed(2)} MHz)  ${c.met ? 'ok' : 'FAIL'}`);
}

export function formatUtilization(u: Utilization): string[] {
  const pct = (x: Use) => `${((100 * x.used) / x.available).toFixed(0)}%`;
  const line = (name: string, x: Use) => `  ${name.padEnd(5)} ${String(x.used).padStart(6)} / ${String(x.available).padEnd(6)} ${pct(x)}`;
  return [line('LUT4', u.lut4), line('FF', u.ff), line('EBR', u.ebr)];
}
