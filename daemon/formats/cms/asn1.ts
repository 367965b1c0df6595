// A small typed view over asn1js' decoded tree, with explicit resource limits and strict end-of-input checks.
// Everything that reads ASN.1 goes through here (VERIFY-NOTES C: asn1js defaults are too small for big catalogs).
import * as asn1js from 'asn1js';
import { FormatError } from '../../shared/errors.ts';

export const TagClass = { universal: 1, application: 2, context: 3, private: 4 } as const;
export const UniversalTag = {
  boolean: 1,
  integer: 2,
  bitString: 3,
  octetString: 4,
  null: 5,
  oid: 6,
  utf8String: 12,
  sequence: 16,
  set: 17,
  printableString: 19,
  ia5String: 22,
  utcTime: 23,
  generalizedTime: 24,
  bmpString: 30,
} as const;

export interface DecodeLimits {
  readonly maxDepth?: number;
  readonly maxNodes?: number;
  readonly maxContentLength?: number;
}

const DEFAULT_LIMITS = { maxDepth: 64, maxNodes: 200_000, maxContentLength: 64 * 1024 * 1024 };

export class Asn1 {
  readonly block: asn1js.AsnType;
  readonly what: string;
  constructor(block: asn1js.AsnType, what: string) {
    this.block = block;
    this.what = what;
  }

  get tagClass(): number {
    return this.block.idBlock.tagClass;
  }
  get tagNumber(): number {
    return this.block.idBlock.tagNumber;
  }
  get constructed(): boolean {
    return this.block.idBlock.isConstructed;
  }
  /** The whole TLV exactly as it was in the input. */
  get raw(): Uint8Array {
    return this.block.valueBeforeDecodeView;
  }
  is(tagClass: number, tagNumber: number): boolean {
    return this.tagClass === tagClass && this.tagNumber === tagNumber;
  }
  isContext(n: number): boolean {
    return this.is(TagClass.context, n);
  }

  get children(): Asn1[] {
    const value = (this.block.valueBlock as { value?: unknown }).value;
    if (!this.constructed || !Array.isArray(value)) return [];
    return value.map((b: asn1js.AsnType, i) => new Asn1(b, `${this.what}[${i}]`));
  }

  child(index: number, what?: string): Asn1 {
    const c = this.children[index];
    if (!c) throw fail(`${what ?? this.what}: element ${index} is missing`);
    return c;
  }

  expect(tagClass: number, tagNumber: number, what: string): this {
    if (!this.is(tagClass, tagNumber)) {
      throw fail(`${what}: expected tag ${tagClass}/${tagNumber}, found ${this.tagClass}/${this.tagNumber}`);
    }
    return this;
  }
  sequence(what: string): Asn1[] {
    return this.expect(TagClass.universal, UniversalTag.sequence, what).children;
  }
  set(what: string): Asn1[] {
    return this.expect(TagClass.universal, UniversalTag.set, what).children;
  }

  oid(what: string): string {
    this.expect(TagClass.universal, UniversalTag.oid, what);
    return (this.block as asn1js.ObjectIdentifier).valueBlock.toString();
  }

  /** Content octets: primitive value bytes, or the concatenation of a constructed (BER) string's segments. */
  content(): Uint8Array {
    if (!this.constructed) return (this.block.valueBlock as unknown as { valueHexView: Uint8Array }).valueHexView;
    const parts = this.children.map((c) => c.content());
    return Buffer.concat(parts);
  }

  /** Bytes of the value part as encoded (for a constructed DER node: its children's TLVs back to back). */
  valueBytes(): Uint8Array {
    const raw = this.raw;
    return raw.subarray(headerLength(raw), raw.length - (isIndefinite(raw) ? 2 : 0));
  }

  octets(what: string): Uint8Array {
    this.expect(TagClass.universal, UniversalTag.octetString, what);
    return this.content();
  }

  integerHex(what: string): string {
    this.expect(TagClass.universal, UniversalTag.integer, what);
    return Buffer.from(this.content()).toString('hex');
  }

  integer(what: string): number {
    const hex = this.integerHex(what);
    const n = Number.parseInt(hex || '0', 16);
    if (!Number.isSafeInteger(n)) throw fail(`${what}: integer too large`);
    return n;
  }

  bitString(what: string): { unusedBits: number; bytes: Uint8Array } {
    this.expect(TagClass.universal, UniversalTag.bitString, what);
    if (this.constructed) throw fail(`${what}: constructed BIT STRING is not supported`);
    // asn1js keeps the leading unused-bits octet apart from the value bytes.
    const vb = this.block.valueBlock as unknown as { unusedBits: number; valueHexView: Uint8Array };
    return { unusedBits: vb.unusedBits, bytes: vb.valueHexView };
  }

  /** Text of any string type (UTF8, Printable, IA5, BMP, Teletex, …). */
  text(): string {
    const vb = this.block.valueBlock as { value?: unknown };
    if (typeof vb.value === 'string') return vb.value;
    const c = this.content();
    if (this.tagNumber === UniversalTag.bmpString) return Buffer.from(c).swap16().toString('utf16le');
    return Buffer.from(c).toString('utf8');
  }

  time(what: string): Date {
    if (this.is(TagClass.universal, UniversalTag.utcTime) || this.is(TagClass.universal, UniversalTag.generalizedTime)) {
      const d = (this.block as asn1js.UTCTime).toDate();
      if (Number.isNaN(d.getTime())) throw fail(`${what}: not a valid time`);
      return d;
    }
    throw fail(`${what}: expected UTCTime or GeneralizedTime`);
  }
}

function fail(message: string): FormatError {
  return new FormatError('ASN.1', 'ASN1', message);
}

function headerLength(raw: Uint8Array): number {
  let i = 1;
  if (((raw[0] ?? 0) & 0x1f) === 0x1f) while (i < raw.length && ((raw[i++] ?? 0) & 0x80) !== 0);
  const first = raw[i] ?? 0;
  return i + 1 + (first & 0x80 ? first & 0x7f : 0);
}

function isIndefinite(raw: Uint8Array): boolean {
  let i = 1;
  if (((raw[0] ?? 0) & 0x1f) === 0x1f) while (i < raw.length && ((raw[i++] ?? 0) & 0x80) !== 0);
  return raw[i] === 0x80;
}

export interface Decoded {
  readonly node: Asn1;
  /** Bytes of the input after the first complete element. */
  readonly trailing: number;
  /** Length of the first element's encoding. */
  readonly length: number;
}

/** Decodes one BER/DER element from the start of `bytes`; trailing bytes are reported, not an error. */
export function decode(bytes: Uint8Array, what: string, limits: DecodeLimits = {}): Decoded {
  if (bytes.length === 0) throw fail(`${what}: empty input`);
  let result: ReturnType<typeof asn1js.fromBER>;
  try {
    result = asn1js.fromBER(bytes, { ...DEFAULT_LIMITS, ...limits });
  } catch (err) {
    // asn1js throws plain Errors for some bad content (e.g. an unparsable GeneralizedTime): make them ours.
    throw new FormatError('ASN.1', 'ASN1', `${what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  if (result.offset === -1 || result.result.error) {
    throw fail(`${what}: ${result.result.error || 'cannot decode'}`);
  }
  return { node: new Asn1(result.result, what), trailing: bytes.length - result.offset, length: result.offset };
}

/** Decodes exactly one element; trailing bytes are an error. */
export function decodeExact(bytes: Uint8Array, what: string, limits: DecodeLimits = {}): Asn1 {
  const d = decode(bytes, what, limits);
  if (d.trailing !== 0) throw fail(`${what}: ${d.trailing} bytes after the encoded value`);
  return d.node;
}
