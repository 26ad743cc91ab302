#!/usr/bin/env node
// Generates the register map's three views from its one source, rtl/regs.json:
//   rtl/sipnic_regs.vh          Verilog localparams
//   host/src/driver/regs.generated.ts  typed TypeScript map
//   docs/registers.md           human-readable table
// `--check` writes nothing and exits 1 when a generated file is stale (CI runs this).
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const sourcePath = 'rtl/regs.json';
const map = JSON.parse(readFileSync(join(root, sourcePath), 'utf8'));
const banner = `generated from ${sourcePath} by scripts/gen-regs.mjs — do not edit`;

const num = (s) => (typeof s === 'number' ? s : Number.parseInt(s, 16));
const hex = (n, digits) => n.toString(16).toUpperCase().padStart(digits, '0');
const upper = (s) => s.toUpperCase();

function validate() {
  const types = new Set();
  for (const block of map.blocks) {
    const base = num(block.base);
    const size = num(block.size);
    if (types.has(block.type)) throw new Error(`block ${block.name}: type ${block.type} used twice`);
    types.add(block.type);
    const used = new Map();
    for (const reg of block.registers) {
      const words = (reg.width ?? 32) / 32;
      const count = reg.array?.count ?? 1;
      const stride = reg.array ? num(reg.array.stride) : 0;
      for (let i = 0; i < count; i++) {
        for (let w = 0; w < words; w++) {
          const off = num(reg.offset) + i * stride + 4 * w;
          if (off % 4 !== 0) throw new Error(`${block.name}.${reg.name}: offset 0x${hex(off, 2)} not word aligned`);
          if (off >= size) throw new Error(`${block.name}.${reg.name}: offset 0x${hex(off, 2)} beyond block size`);
          if (used.has(off)) throw new Error(`${block.name}.${reg.name} overlaps ${used.get(off)} at 0x${hex(off, 2)}`);
          used.set(off, reg.name);
        }
      }
    }
    for (const required of ['TYPE', 'VERSION', 'NEXT']) {
      if (!block.registers.some((r) => r.name === required && num(r.offset) === [0, 4, 8][['TYPE', 'VERSION', 'NEXT'].indexOf(required)])) {
        throw new Error(`block ${block.name}: ${required} must open the block`);
      }
    }
    if (base % 4 !== 0) throw new Error(`block ${block.name}: base not aligned`);
  }
}

function verilog() {
  const out = [`// ${banner}`, '// Include inside a module: localparams only.', ''];
  map.blocks.forEach((block, i) => {
    const B = upper(block.name);
    const next = map.blocks[i + 1] ? num(map.blocks[i + 1].base) : 0;
    out.push(`// ${block.name}: ${block.desc}`);
    out.push(`localparam [15:0] BLK_${B}_BASE    = 16'h${hex(num(block.base), 4)};`);
    out.push(`localparam [15:0] BLK_${B}_SIZE    = 16'h${hex(num(block.size), 4)};`);
    out.push(`localparam [15:0] BLK_${B}_NEXT    = 16'h${hex(next, 4)};`);
    out.push(`localparam [31:0] BLK_${B}_TYPE    = 32'h${hex(num(block.type), 8)};`);
    out.push(`localparam [31:0] BLK_${B}_VERSION = 32'h${hex(num(block.version), 8)};`);
    for (const reg of block.registers) {
      const name = `REG_${B}_${reg.name}`;
      out.push(`localparam [15:0] ${name} = 16'h${hex(num(reg.offset), 4)}; // ${reg.access}${reg.width === 64 ? ' 64-bit' : ''}: ${reg.desc}`);
      if (reg.array) {
        out.push(`localparam [15:0] ${name}_STRIDE = 16'h${hex(num(reg.array.stride), 4)};`);
        out.push(`localparam integer ${name}_COUNT = ${reg.array.count};`);
      }
    }
    out.push('');
  });
  out.push('// drop reasons');
  for (const r of map.dropReasons) out.push(`localparam [3:0] DROP_${upper(r.name)} = 4'd${r.code}; // ${r.desc}`);
  out.push('', '// table command status');
  for (const s of map.commandStatus) out.push(`localparam [1:0] STATUS_${upper(s.name)} = 2'd${s.code};`);
  out.push('');
  return out.join('\n');
}

function typescript() {
  const out = [`// ${banner}`, ''];
  out.push(`export type Access = 'ro' | 'rw' | 'wo';`);
  out.push(`export interface RegisterDef { readonly offset: number; readonly access: Access; readonly width: 32 | 64; readonly desc: string; readonly array?: { readonly count: number; readonly stride: number } }`);
  out.push(`export interface BlockDef { readonly name: string; readonly type: number; readonly version: number; readonly size: number; readonly desc: string; readonly registers: Readonly<Record<string, RegisterDef>> }`);
  out.push('');
  out.push('export const BLOCKS = {');
  for (const block of map.blocks) {
    out.push(`  ${block.name}: {`);
    out.push(`    name: '${block.name}', type: 0x${hex(num(block.type), 8)}, version: 0x${hex(num(block.version), 8)}, size: 0x${hex(num(block.size), 4)},`);
    out.push(`    desc: ${JSON.stringify(block.desc)},`);
    out.push('    registers: {');
    for (const reg of block.registers) {
      const arr = reg.array ? `, array: { count: ${reg.array.count}, stride: 0x${hex(num(reg.array.stride), 2)} }` : '';
      out.push(`      ${reg.name}: { offset: 0x${hex(num(reg.offset), 3)}, access: '${reg.access}', width: ${reg.width ?? 32}, desc: ${JSON.stringify(reg.desc)}${arr} },`);
    }
    out.push('    },');
    out.push('  },');
  }
  out.push('} as const satisfies Record<string, BlockDef>;');
  out.push('');
  out.push('export type BlockName = keyof typeof BLOCKS;');
  out.push('');
  out.push('/** Drop reason codes as the data path reports them. */');
  out.push('export const DROP_REASONS = {');
  for (const r of map.dropReasons) out.push(`  ${r.code}: '${r.name}',`);
  out.push('} as const;');
  out.push(`export type DropReasonName = (typeof DROP_REASONS)[keyof typeof DROP_REASONS];`);
  out.push('');
  out.push('/** Table command status codes. */');
  out.push('export const COMMAND_STATUS = {');
  for (const s of map.commandStatus) out.push(`  ${s.code}: '${s.name}',`);
  out.push('} as const;');
  out.push(`export type CommandStatusName = (typeof COMMAND_STATUS)[keyof typeof COMMAND_STATUS];`);
  out.push('');
  return out.join('\n');
}

function markdown() {
  const out = [`<!-- ${banner} -->`, '', '# sipnic register map', ''];
  out.push(map.comment, '', `Actions: ${map.actionEncoding}`, '');
  out.push('The host finds each block by walking TYPE/NEXT from address 0; the base addresses below are where the current design puts them.', '');
  out.push('| block | base | type | version | what |', '|---|---|---|---|---|');
  for (const b of map.blocks) out.push(`| ${b.name} | 0x${hex(num(b.base), 4)} | 0x${hex(num(b.type), 8)} | 0x${hex(num(b.version), 8)} | ${b.desc} |`);
  for (const b of map.blocks) {
    out.push('', `## ${b.name} (0x${hex(num(b.base), 4)})`, '', b.desc, '', '| offset | register | access | bits | description |', '|---|---|---|---|---|');
    for (const r of b.registers) {
      const arr = r.array ? ` ×${r.array.count}, stride 0x${hex(num(r.array.stride), 2)} (index: ${r.array.index})` : '';
      out.push(`| 0x${hex(num(r.offset), 3)} | ${r.name} | ${r.access} | ${r.width ?? 32}${arr} | ${r.desc} |`);
    }
  }
  out.push('', '## Drop reasons', '', '| code | name | meaning |', '|---|---|---|');
  for (const r of map.dropReasons) out.push(`| ${r.code} | ${r.name} | ${r.desc} |`);
  out.push('', '## Command status', '', '| code | name |', '|---|---|');
  for (const s of map.commandStatus) out.push(`| ${s.code} | ${s.name} |`);
  out.push('');
  return out.join('\n');
}

validate();
const outputs = {
  'rtl/sipnic_regs.vh': verilog(),
  'host/src/driver/regs.generated.ts': typescript(),
  'docs/registers.md': markdown(),
};
const check = process.argv.includes('--check');
let stale = 0;
for (const [rel, text] of Object.entries(outputs)) {
  const path = join(root, rel);
  const current = existsSync(path) ? readFileSync(path, 'utf8') : null;
  if (current === text) continue;
  if (check) {
    console.error(`stale: ${rel} differs from what ${sourcePath} generates; run \`npm run gen\` and commit`);
    stale++;
  } else {
    writeFileSync(path, text);
    console.error(`wrote ${rel}`);
  }
}
if (check && stale) process.exit(1);
if (check) console.error('register map: generated files are up to date');
