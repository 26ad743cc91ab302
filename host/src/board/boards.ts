// The boards `sipnic board build|flash` knows: where their top and pins are, how nextpnr and
// openFPGALoader name them. Paths are relative to the repository root.

export interface BoardDef {
  /** The --board name. */
  readonly id: string;
  readonly description: string;
  /** Top module (rtl/board/<top>.v). */
  readonly top: string;
  /** Folders whose .v files are read (every module the top needs; yosys drops the rest). */
  readonly sourceDirs: readonly string[];
  /** Include folders (sipnic_regs.vh). */
  readonly includeDirs: readonly string[];
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
    top: 'sipnic_colorlight_5a_75b',
    sourceDirs: ['rtl', 'rtl/board'],
    includeDirs: ['rtl'],
    lpf: 'rtl/board/sipnic_colorlight_5a_75b.lpf',
    nextpnrDevice: ['--25k', '--package', 'CABGA256', '--speed', '6'],
    loaderBoard: 'colorlight',
    bitstream: 'sipnic_colorlight_5a_75b.bit',
  },
};

export type BoardErrorCode = 'EBOARD' | 'ECABLE' | 'ENOBITSTREAM' | 'ENOTOOL' | 'ETOOL' | 'ETIMING' | 'EREPORT';

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
