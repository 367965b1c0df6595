// Bounds-checked reads over a byte buffer: every offset and length is checked before it is used,
// so a parser built on this cannot read past the end of its input, whatever the input claims.
import { FormatError } from '../../shared/errors.ts';

export class ByteReader {
  readonly bytes: Uint8Array;
  readonly format: string;
  private readonly view: DataView;

  constructor(bytes: Uint8Array, format: string) {
    this.bytes = bytes;
    this.format = format;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get length(): number {
    return this.bytes.length;
  }

  /** Throws a TRUNCATED FormatError unless [offset, offset+size) lies inside the buffer. */
  need(offset: number, size: number, what: string): void {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(size) || offset < 0 || size < 0 || offset + size > this.bytes.length) {
      throw new FormatError(
        this.format,
        'TRUNCATED',
        `${what} at offset ${offset} (${size} bytes) runs past the end of the data (${this.bytes.length} bytes)`,
      );
    }
  }

  has(offset: number, size: number): boolean {
    return offset >= 0 && size >= 0 && offset + size <= this.bytes.length;
  }

  u8(offset: number, what = 'byte'): number {
    this.need(offset, 1, what);
    return this.view.getUint8(offset);
  }
  u16le(offset: number, what = 'u16'): number {
    this.need(offset, 2, what);
    return this.view.getUint16(offset, true);
  }
  u32le(offset: number, what = 'u32'): number {
    this.need(offset, 4, what);
    return this.view.getUint32(offset, true);
  }
  u64le(offset: number, what = 'u64'): bigint {
    this.need(offset, 8, what);
    return this.view.getBigUint64(offset, true);
  }
  u32be(offset: number, what = 'u32'): number {
    this.need(offset, 4, what);
    return this.view.getUint32(offset, false);
  }
  u64be(offset: number, what = 'u64'): bigint {
    this.need(offset, 8, what);
    return this.view.getBigUint64(offset, false);
  }

  /** A view (no copy) of [offset, offset+size). */
  slice(offset: number, size: number, what = 'range'): Uint8Array {
    this.need(offset, size, what);
    return this.bytes.subarray(offset, offset + size);
  }

  /** NUL-terminated ASCII/Latin-1 string starting at offset, at most maxLength bytes. */
  cString(offset: number, maxLength: number, what = 'string'): string {
    this.need(offset, 1, what);
    const end = Math.min(this.bytes.length, offset + maxLength);
    let i = offset;
    while (i < end && this.bytes[i] !== 0) i++;
    return latin1(this.bytes.subarray(offset, i));
  }

  /** UTF-16LE string of `chars` code units. */
  utf16le(offset: number, chars: number, what = 'UTF-16 string'): string {
    const raw = this.slice(offset, chars * 2, what);
    return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf16le');
  }

  /** Index of the first UTF-16 NUL at or after offset (bounded by limit), in code units from offset. */
  utf16zLength(offset: number, limit: number): number {
    let n = 0;
    while (offset + n * 2 + 1 < this.bytes.length && n < limit) {
      if (this.bytes[offset + n * 2] === 0 && this.bytes[offset + n * 2 + 1] === 0) return n;
      n++;
    }
    return n;
  }

  fail(message: string, code: 'MALFORMED' | 'LIMIT_EXCEEDED' | 'UNSUPPORTED' = 'MALFORMED'): never {
    throw new FormatError(this.format, code, message);
  }
}

export function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

export function roundUp(value: number, multiple: number): number {
  return Math.ceil(value / multiple) * multiple;
}

export function isAllZero(bytes: Uint8Array): boolean {
  for (const b of bytes) if (b !== 0) return false;
  return true;
}
