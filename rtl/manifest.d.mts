// Types of rtl/manifest.mjs for the TypeScript that reads it (host/src/board/build.ts).

export interface ResolvedTarget {
  readonly name: string;
  readonly top: string;
  /** Verilog files, in order, simulation models last (absolute paths). */
  readonly sources: readonly string[];
  readonly includeDirs: readonly string[];
  readonly cpp: readonly string[];
  readonly cppIncludeDirs: readonly string[];
  /** Every file the build reads, the manifest included. */
  readonly files: readonly string[];
}

export const ROOT: string;
export const MANIFEST: string;
export const GROUPS: Readonly<Record<string, { readonly dir: string; readonly include?: boolean; readonly model?: boolean; readonly files: readonly string[] }>>;
export const TARGETS: Readonly<Record<string, { readonly top: string; readonly sources: readonly string[]; readonly models?: readonly string[]; readonly include?: readonly string[]; readonly cpp?: readonly string[]; readonly cppInclude?: readonly string[] }>>;
export function resolveTarget(name: string, options?: { root?: string; models?: boolean; rtlDir?: string }): ResolvedTarget;
export function verilatorArgs(target: ResolvedTarget): string[];
