// The boards `sipnic board build|flash` knows: their top (a target of rtl/manifest.mjs), pins,
// sizing, how nextpnr and openFPGALoader name them. Paths are relative to the repository root.
//
// A board's sizing (the parameters of its top) is declared once, in sizing.json beside this
// file, so that the scripts read it too (scripts/build-pty-sim.mjs sizes the PTY simulator like
// the board, scripts/test-nic.sh the NIC testbench); the board build passes every one to yosys.
import SIZING from './sizing.json' with { type: 'json' };

/** Parameters of a board top: `nic` those it passes to sipnic_nic, `board` its own. */
export interface BoardSizing {
  /** sipnic_nic's sizing: DATA_WIDTH, QUEUES, FLOW_ENTRIES, …, RX_FIFO_BYTES. */
  readonly nic: Readonly<Record<string, number>>;
  /** Clocking, UART and pin parameters of the top alone (CORE_DIV, BAUD, RX_DELAY, …). */
  readonly board: Readonly<Record<string, number>>;
}

export const BOARD_SIZING: Readonly<Record<string, BoardSizing>> = SIZING;

export interface BoardDef {
  /** The --board name. */
  readonly id: string;
  readonly description: string;
  /** Target of rtl/manifest.mjs: the top module, its sources and include folders. */
  readonly target: string;
  /** Every parameter of the top, set by the build (sizing.json: nic and board together). */
  readonly params: Readonly<Record<string, number>>;
  /** nextpnr-ecp5 pin and clock constraints. */
  readonly lpf: string;
  /** Device arguments of nextpnr-ecp5. */
  readonly nextpnrDevice: readonly string[];
  /** openFPGALoader's -b name. */
  readonly loaderBoard: string;
  /** Bitstream file name inside the build folder. */
  readonly bitstream: string;
}

export const BOARDS: Readonly<Record<string, BoardDef>> = {
  'colorlight-5a-75b-v8': {
    id: 'colorlight-5a-75b-v8',
    description: 'Colorlight 5A-75B v8.0: LFE5U-25F-6BG256C, two RTL8211FD gigabit PHYs',
    target: 'board',
    // CLOCKS_PER_MS (NOW_MS of the learning engine) from the core clock: 500 MHz / CORE_DIV
    params: {
      ...SIZING['colorlight-5a-75b-v8'].nic,
      CLOCKS_PER_MS: Math.round(500_000_000 / SIZING['colorlight-5a-75b-v8'].board.CORE_DIV / 1000),
      ...SIZING['colorlight-5a-75b-v8'].board,
    },
    lpf: 'rtl/board/sipnic_colorlight_5a_75b.lpf',
    nextpnrDevice: ['--25k', '--package', 'CABGA256', '--speed', '6'],
    loaderBoard: 'colorlight',
    bitstream: 'sipnic_colorlight_5a_75b.bit',
  },
};

export type BoardErrorCode = 'EBOARD' | 'ECABLE' | 'ENOBITSTREAM' | 'ENOTOOL' | 'ETOOL' | 'ETIMING' | 'EREPORT' | 'EOPTION' | 'EWARNING';

/** A board command failed; `code` says why. */
export class BoardError extends Error {
  constructor(
    readonly code: BoardErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'BoardError';
  }
}

export function findBoard(id: string | undefined): BoardDef {
  const known = Object.keys(BOARDS).join(', ');
  if (!id) throw new BoardError('EBOARD', `--board is required (boards: ${known})`);
  const board = BOARDS[id];
  if (!board) throw new BoardError('EBOARD', `unknown board "${id}" (boards: ${known})`);
  return board;
}

/** The build folder of a board when --out is not given (relative to the working directory). */
export const defaultOutDir = (board: BoardDef): string => `build/board/${board.id}`;
