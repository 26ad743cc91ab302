#!/usr/bin/env node
// Generates the register map's four views from its one source, rtl/regs.json:
//   rtl/core/sipnic_regs.vh             Verilog localparams (blocks, registers, fields, codes)
//   sim/src/sipnic_regs.generated.h     the same as C++ constants, for the testbenches and simulators
//   host/src/driver/regs.generated.ts   typed TypeScript map, bit fields with getField/putField
//   docs/registers.md                   human-readable tables
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
const bits = (f) => (f.width === 1 ? `${f.offset}` : `${f.offset + f.width - 1}:${f.offset}`);
const maskOf = (f) => (f.width === 32 ? 0xffffffff : ((2 ** f.width - 1) * 2 ** f.offset));

const withValues = (f) => (f.values === 'commandStatus' ? { ...f, values: Object.fromEntries(map.commandStatus.map((s) => [s.name, s.code])) } : f);
const upperSnake = (camel) => camel.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();

/** A register's (or encoding's) fields in order: { set } for a fieldSet reference, else { field }. */
function fieldParts(owner) {
  return (owner.fields ?? []).map((f) => {
    if (f.fieldSet === undefined) return { field: withValues(f) };
    if (!map.fieldSets?.[f.fieldSet]) throw new Error(`${owner.name}: unknown fieldSet ${f.fieldSet}`);
    return { set: f.fieldSet };
  });
}

/** A field set's fields (`values: "commandStatus"` replaced by the command status codes). */
const setFields = (name) => map.fieldSets[name].map(withValues);

/** A register's (or encoding's) fields with every fieldSet reference expanded. */
const fieldsOf = (owner) => fieldParts(owner).flatMap((p) => (p.set ? setFields(p.set) : [p.field]));

/** Fields inside `width` bits, not overlapping, uniquely named; values fit their field. */
function validateFields(where, fields, width) {
  const names = new Set();
  let used = 0n;
  for (const f of fields) {
    const at = `${where}.${f.name}`;
    if (!/^[A-Z][A-Z0-9_]*$/.test(f.name ?? '')) throw new Error(`${at}: field name must be UPPER_CASE`);
    if (names.has(f.name)) throw new Error(`${at}: field named twice`);
    names.add(f.name);
    if (!Number.isInteger(f.offset) || !Number.isInteger(f.width) || f.offset < 0 || f.width < 1 || f.offset + f.width > width) {
      throw new Error(`${at}: bits ${f.offset}+${f.width} not inside ${width} bits`);
    }
    const mask = ((1n << BigInt(f.width)) - 1n) << BigInt(f.offset);
    if (used & mask) throw new Error(`${at}: overlaps another field`);
    used |= mask;
    if (typeof f.desc !== 'string' || !f.desc) throw new Error(`${at}: desc missing`);
    for (const [name, v] of Object.entries(f.values ?? {})) {
      if (!/^[a-z][a-z0-9_]*$/.test(name)) throw new Error(`${at}: value name ${name} must be lower_case`);
      if (!Number.isInteger(v) || v < 0 || v >= 2 ** f.width) throw new Error(`${at}: value ${name} = ${v} does not fit ${f.width} bits`);
    }
  }
}

function validate() {
  const types = new Set();
  const names = new Set();
  for (const block of map.blocks) {
    const base = num(block.base);
    const size = num(block.size);
    if (types.has(block.type)) throw new Error(`block ${block.name}: type ${block.type} used twice`);
    types.add(block.type);
    names.add(upper(block.name));
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
      if (reg.fields && reg.width === 64) throw new Error(`${block.name}.${reg.name}: a 64-bit counter has no fields`);
      validateFields(`${block.name}.${reg.name}`, fieldsOf(reg), 32);
    }
    for (const required of ['TYPE', 'VERSION', 'NEXT']) {
      if (!block.registers.some((r) => r.name === required && num(r.offset) === [0, 4, 8][['TYPE', 'VERSION', 'NEXT'].indexOf(required)])) {
        throw new Error(`block ${block.name}: ${required} must open the block`);
      }
    }
    if (base % 4 !== 0) throw new Error(`block ${block.name}: base not aligned`);
  }
  for (const enc of map.encodings ?? []) {
    // ENC_<NAME>_* must not read like a block's FLD_/REG_ names, and stay distinct
    if (names.has(enc.name)) throw new Error(`encoding ${enc.name}: named like a block`);
    names.add(enc.name);
    validateFields(enc.name, fieldsOf(enc), enc.width);
  }
}

/** Every field of the map once: { prefix (FLD_<BLOCK>_<REG> or ENC_<NAME>), where, owner width, fields }. */
function fieldOwners() {
  const out = [];
  for (const block of map.blocks) {
    for (const reg of block.registers) {
      const fields = fieldsOf(reg);
      if (fields.length) out.push({ prefix: `FLD_${upper(block.name)}_${reg.name}`, where: `${block.name}.${reg.name}`, width: 32, fields });
    }
  }
  for (const enc of map.encodings ?? []) out.push({ prefix: `ENC_${enc.name}`, where: `encoding ${enc.name}`, width: enc.width, fields: fieldsOf(enc) });
  return out;
}

/** name, value, Verilog width, comment: the constants every C-like view holds. */
function constants() {
  const out = [];
  const c = (name, value, width, comment, decimal = false) => out.push({ name, value, width, comment, decimal });
  map.blocks.forEach((block, i) => {
    const B = upper(block.name);
    const next = map.blocks[i + 1] ? num(map.blocks[i + 1].base) : 0;
    out.push({ section: `${block.name}: ${block.desc}` });
    c(`BLK_${B}_BASE`, num(block.base), 16);
    c(`BLK_${B}_SIZE`, num(block.size), 16);
    c(`BLK_${B}_NEXT`, next, 16);
    c(`BLK_${B}_TYPE`, num(block.type), 32);
    c(`BLK_${B}_VERSION`, num(block.version), 32);
    for (const reg of block.registers) {
      const name = `REG_${B}_${reg.name}`;
      c(name, num(reg.offset), 16, `${reg.access}${reg.width === 64 ? ' 64-bit' : ''}: ${reg.desc}`);
      if (reg.array) {
        c(`${name}_STRIDE`, num(reg.array.stride), 16);
        c(`${name}_COUNT`, reg.array.count, 'integer');
      }
    }
  });
  out.push({ section: 'drop reasons' });
  for (const r of map.dropReasons) c(`DROP_${upper(r.name)}`, r.code, 4, r.desc);
  out.push({ section: 'table command status' });
  for (const s of map.commandStatus) c(`STATUS_${upper(s.name)}`, s.code, 2);
  out.push({ section: 'bit fields: <name>_SHIFT (lowest bit), _WIDTH, _MASK (in place), and one constant per named value' });
  const owners = [
    ...Object.keys(map.fieldSets ?? {}).map((name) => ({ prefix: `FSET_${upperSnake(name)}`, where: `field set ${name} (the same bits in every register that uses it)`, width: 32, fields: setFields(name) })),
    ...fieldOwners(),
  ];
  for (const o of owners) {
    out.push({ section: o.where });
    for (const f of o.fields) {
      const F = `${o.prefix}_${f.name}`;
      c(`${F}_SHIFT`, f.offset, 'integer', `bit${f.width === 1 ? '' : 's'} ${bits(f)}: ${f.desc}`);
      c(`${F}_WIDTH`, f.width, 'integer');
      c(`${F}_MASK`, maskOf(f), o.width);
      for (const [name, v] of Object.entries(f.values ?? {})) c(`${F}_${upper(name)}`, v, f.width, undefined, true);
    }
  }
  return out;
}

function verilog() {
  const out = [`// ${banner}`, '// Include inside a module: localparams only.'];
  for (const k of constants()) {
    if (k.section) {
      out.push('', `// ${k.section}`);
      continue;
    }
    const comment = k.comment ? ` // ${k.comment}` : '';
    if (k.width === 'integer') {
      out.push(`localparam integer ${k.name} = ${k.value};${comment}`);
    } else {
      const literal = k.decimal || k.width % 4 ? `${k.width}'d${k.value}` : `${k.width}'h${hex(k.value, k.width / 4)}`;
      out.push(`localparam [${k.width - 1}:0] ${k.name} = ${literal};${comment}`);
    }
  }
  out.push('');
  return out.join('\n');
}

function cpp() {
  const out = [`// ${banner}`, '// Register map constants for the C++ testbenches and simulators (the same names as rtl/core/sipnic_regs.vh).'];
  out.push('#ifndef SIPNIC_REGS_GENERATED_H', '#define SIPNIC_REGS_GENERATED_H', '', '#include <cstdint>');
  for (const k of constants()) {
    if (k.section) {
      out.push('', `// ${k.section}`);
      continue;
    }
    const value = k.width === 'integer' || k.decimal || k.width % 4 ? `${k.value}` : `0x${hex(k.value, k.width / 4)}u`;
    out.push(`static constexpr uint32_t ${k.name} = ${value};${k.comment ? ` // ${k.comment}` : ''}`);
  }
  out.push('', '#endif', '');
  return out.join('\n');
}

const tsField = (f) => {
  const values = f.values ? `, values: { ${Object.entries(f.values).map(([n, v]) => `${n}: ${v}`).join(', ')} }` : '';
  return `{ shift: ${f.offset}, width: ${f.width}, mask: 0x${hex(maskOf(f), 8)}${values} }`;
};

/** `NAME: { FIELD: {...}, ... },` lines; a field set stands as a reference to FIELD_SETS. */
function tsFieldMap(name, parts, indent) {
  const pad = ' '.repeat(indent);
  if (parts.length === 1 && parts[0].set) return [`${pad}${name}: FIELD_SETS.${parts[0].set},`];
  return [
    `${pad}${name}: {`,
    ...parts.map((p) => (p.set ? `${pad}  ...FIELD_SETS.${p.set},` : `${pad}  ${p.field.name}: ${tsField(p.field)},`)),
    `${pad}},`,
  ];
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
  out.push('/** A bit field of a register: lowest bit, width, mask in place (e.g. 0xF00), named values. */');
  out.push('export interface FieldDef { readonly shift: number; readonly width: number; readonly mask: number; readonly values?: Readonly<Record<string, number>> }');
  out.push('');
  out.push('/** Fields that several registers share at the same bits. */');
  out.push('export const FIELD_SETS = {');
  for (const name of Object.keys(map.fieldSets ?? {})) out.push(...tsFieldMap(name, setFields(name).map((field) => ({ field })), 2));
  out.push('} as const satisfies Record<string, Record<string, FieldDef>>;');
  out.push('');
  out.push('/** Bit fields by block and register (docs/registers.md describes each). */');
  out.push('export const FIELDS = {');
  for (const block of map.blocks) {
    const regs = block.registers.filter((r) => fieldsOf(r).length);
    if (!regs.length) continue;
    out.push(`  ${block.name}: {`);
    for (const reg of regs) out.push(...tsFieldMap(reg.name, fieldParts(reg), 4));
    out.push('  },');
  }
  out.push('} as const satisfies Record<string, Record<string, Record<string, FieldDef>>>;');
  out.push('');
  out.push('/** Bit fields of the hardware action bytes (what the tables hold; the registers hold numbers). */');
  out.push('export const ENCODINGS = {');
  for (const enc of map.encodings ?? []) out.push(...tsFieldMap(enc.name, fieldParts(enc), 2));
  out.push('} as const satisfies Record<string, Record<string, FieldDef>>;');
  out.push('');
  out.push('/** (word & f.mask) >>> f.shift */');
  out.push('export function getField(f: FieldDef, word: number): number {');
  out.push('  return (word & f.mask) >>> f.shift;');
  out.push('}');
  out.push('');
  out.push('/** value placed into the field, as an unsigned 32-bit word (throws RangeError if it does not fit) */');
  out.push('export function putField(f: FieldDef, value: number): number {');
  out.push('  if (!Number.isInteger(value) || value < 0 || value > 2 ** f.width - 1) {');
  out.push('    throw new RangeError(`field value ${value} does not fit ${f.width} bit${f.width === 1 ? \'\' : \'s\'} (0..${2 ** f.width - 1})`);');
  out.push('  }');
  out.push('  return (value * 2 ** f.shift) >>> 0;');
  out.push('}');
  out.push('');
  return out.join('\n');
}

function fieldTable(fields) {
  const out = ['', '| bits | field | description | values |', '|---|---|---|---|'];
  for (const f of [...fields].sort((a, b) => b.offset - a.offset)) {
    const values = Object.entries(f.values ?? {}).map(([n, v]) => `${v} ${n}`).join(', ');
    out.push(`| ${bits(f)} | ${f.name} | ${f.desc} | ${values} |`);
  }
  return out;
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
      const fields = fieldsOf(r).length ? ` (fields below)` : '';
      out.push(`| 0x${hex(num(r.offset), 3)} | ${r.name} | ${r.access} | ${r.width ?? 32}${arr} | ${r.desc}${fields} |`);
    }
    for (const r of b.registers) {
      if (fieldsOf(r).length) out.push('', `### ${b.name}.${r.name}`, ...fieldTable(fieldsOf(r)));
    }
  }
  if (map.encodings?.length) {
    out.push('', '## Hardware action bytes');
    for (const e of map.encodings) out.push('', `### ${e.name} (${e.width} bits)`, '', e.desc, ...fieldTable(fieldsOf(e)));
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
  'rtl/core/sipnic_regs.vh': verilog(),
  'sim/src/sipnic_regs.generated.h': cpp(),
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
