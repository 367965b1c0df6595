// Code requirements (Apple "Code Signing Requirement Language"; reqreader.cpp opcode table) decoded to their
// text form, e.g. `identifier "com.apple.cal" and anchor apple`. Used to show the designated requirement.
import { ByteReader } from '../bytes/reader.ts';
import { CSMAGIC } from './code-signature.ts';

const MAX_OPS = 4096;
const MATCH = ['exists', '=', '~', 'begins', 'ends', '<', '>', '<=', '>=', 'on', 'before', 'after', 'on-or-before', 'on-or-after', 'absent'];
const REQUIREMENT_TYPES: Record<number, string> = { 1: 'host', 2: 'guest', 3: 'designated', 4: 'library', 5: 'plugin' };

export interface RequirementSet {
  /** Requirement text by type name ("designated", "library", …). */
  readonly byType: Readonly<Record<string, string>>;
}

/** Dotted form of DER OID content octets (X.690 §8.19). */
function oidFromBytes(b: Uint8Array): string {
  const arcs: number[] = [];
  let v = 0;
  for (const byte of b) {
    v = v * 128 + (byte & 0x7f);
    if ((byte & 0x80) !== 0) continue;
    if (arcs.length === 0) {
      const first = v < 40 ? 0 : v < 80 ? 1 : 2;
      arcs.push(first, v - first * 40);
    } else arcs.push(v);
    v = 0;
  }
  return arcs.join('.');
}

class Decoder {
  private at: number;
  private ops = 0;
  private readonly r: ByteReader;
  constructor(r: ByteReader, start: number) {
    this.r = r;
    this.at = start;
  }
  private u32(): number {
    const v = this.r.u32be(this.at, 'requirement');
    this.at += 4;
    return v;
  }
  private data(): Uint8Array {
    const len = this.u32();
    const b = this.r.slice(this.at, len, 'requirement data');
    this.at += (len + 3) & ~3;
    return b;
  }
  private text(): string {
    return Buffer.from(this.data()).toString('utf8');
  }
  private quoted(): string {
    return JSON.stringify(this.text());
  }
  private slot(): string {
    const s = this.u32() | 0;
    return s === 0 ? 'leaf' : s === -1 ? 'root' : String(s);
  }
  private match(): string {
    const op = this.u32();
    const name = MATCH[op];
    if (name === undefined) this.r.fail(`unknown match operator ${op}`, 'UNSUPPORTED');
    if (op === 0) return ' /* exists */';
    if (op === 14) return ' absent';
    if (op >= 9 && op <= 13) return ` ${name} <${this.u32()}:${this.u32()}>`;
    const value = JSON.stringify(Buffer.from(this.data()).toString('utf8'));
    if (name === 'begins') return ` = ${value.slice(0, -1)}*"`;
    if (name === 'ends') return ` = "*${value.slice(1)}`;
    return ` ${name} ${value}`;
  }

  expr(parent?: 'and' | 'or'): string {
    if (++this.ops > MAX_OPS) this.r.fail('requirement expression is too long', 'LIMIT_EXCEEDED');
    const op = this.u32() & 0x00ffffff; // high byte: flags
    switch (op) {
      case 0:
        return 'never';
      case 1:
        return 'always';
      case 2:
        return `identifier ${this.quoted()}`;
      case 3:
        return 'anchor apple';
      case 4: {
        const slot = this.slot();
        return `certificate ${slot} = H"${Buffer.from(this.data()).toString('hex')}"`;
      }
      case 5:
        return `info[${this.text()}] = ${this.quoted()}`;
      case 6: {
        const t = `${this.expr('and')} and ${this.expr('and')}`;
        return parent === 'or' ? `(${t})` : t;
      }
      case 7: {
        const t = `${this.expr('or')} or ${this.expr('or')}`;
        return parent === 'and' ? `(${t})` : t;
      }
      case 8:
        return `cdhash H"${Buffer.from(this.data()).toString('hex')}"`;
      case 9:
        return `! ${this.expr('and')}`;
      case 10:
        return `info[${this.text()}]${this.match()}`;
      case 11: {
        const slot = this.slot();
        return `certificate ${slot}[${this.text()}]${this.match()}`;
      }
      case 12:
        return `certificate ${this.slot()} trusted`;
      case 13:
        return 'anchor trusted';
      case 14: {
        const slot = this.slot();
        return `certificate ${slot}[field.${oidFromBytes(this.data())}]${this.match()}`;
      }
      case 15:
        return 'anchor apple generic';
      case 16:
        return `entitlement[${this.quoted()}]${this.match()}`;
      case 17: {
        const slot = this.slot();
        return `certificate ${slot}[policy.${oidFromBytes(this.data())}]${this.match()}`;
      }
      case 18:
        return `anchor apple ${this.text()}`;
      case 19:
        return `(${this.text()})`;
      case 20:
        return `platform = ${this.u32()}`;
      case 21:
        return 'notarized';
      case 22: {
        const slot = this.slot();
        return `certificate ${slot}[timestamp.${oidFromBytes(this.data())}]${this.match()}`;
      }
      case 23:
        return 'legacy';
      default:
        return this.r.fail(`unknown requirement opcode ${op}`, 'UNSUPPORTED');
    }
  }
}

/** Decodes one Requirement blob (0xfade0c00) to text. */
export function decodeRequirement(bytes: Uint8Array): string {
  const r = new ByteReader(bytes, 'requirement');
  if (r.u32be(0) !== CSMAGIC.requirement) r.fail('not a requirement blob');
  const kind = r.u32be(8);
  if (kind !== 1) r.fail(`requirement kind ${kind} is not an expression`, 'UNSUPPORTED');
  return new Decoder(r, 12).expr();
}

/** Decodes a requirement set (0xfade0c01): each requirement by its type. */
export function decodeRequirementSet(bytes: Uint8Array): RequirementSet {
  const r = new ByteReader(bytes, 'requirement set');
  if (r.u32be(0) !== CSMAGIC.requirements) r.fail('not a requirement set');
  const count = r.u32be(8);
  if (count > 16) r.fail(`requirement set holds ${count} entries`, 'LIMIT_EXCEEDED');
  const byType: Record<string, string> = {};
  for (let i = 0; i < count; i++) {
    const type = r.u32be(12 + i * 8);
    const offset = r.u32be(16 + i * 8);
    const length = r.u32be(offset + 4, 'requirement length');
    byType[REQUIREMENT_TYPES[type] ?? `type${type}`] = decodeRequirement(r.slice(offset, length, 'requirement'));
  }
  return { byType };
}
