// File names as the store keeps them: a lossless, unique text form of the bytes the file system holds.
// Valid UTF-8 is kept as it is; any byte that is not part of a valid UTF-8 sequence becomes `\xNN`, and a literal
// backslash becomes `\\`. Two different byte strings never share a text form (the old lossy decoding mapped every
// invalid byte to U+FFFD, so two names collided and the snapshot aborted on a UNIQUE constraint), and the text form
// decodes back to the exact bytes (`pathBytes`), so what the store names can always be opened again.
// On Windows names come from UTF-16 and the backslash is the separator: paths are used as they are.
import { Buffer, isUtf8 } from 'node:buffer';

const WINDOWS = process.platform === 'win32';
const BACKSLASH = 0x5c;

/** Length of the valid UTF-8 sequence starting at `i` (RFC 3629: no overlongs, no surrogates, ≤ U+10FFFF), or 0. */
function sequenceLength(b: Uint8Array, i: number): number {
  const c = b[i] as number;
  if (c < 0x80) return 1;
  const cont = (k: number): boolean => i + k < b.length && ((b[i + k] as number) & 0xc0) === 0x80;
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    if (!cont(1) || !cont(2)) return 0;
    const c1 = b[i + 1] as number;
    if (c === 0xe0 && c1 < 0xa0) return 0; // overlong
    if (c === 0xed && c1 >= 0xa0) return 0; // surrogate
    return 3;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    const c1 = b[i + 1] as number;
    if (c === 0xf0 && c1 < 0x90) return 0; // overlong
    if (c === 0xf4 && c1 >= 0x90) return 0; // above U+10FFFF
    return 4;
  }
  return 0;
}

/** The text form of raw name (or path) bytes. */
export function bytesText(bytes: Uint8Array): string {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (WINDOWS || (!buf.includes(BACKSLASH) && isUtf8(buf))) return buf.toString('utf8');
  let out = '';
  let runStart = 0;
  const flush = (end: number): void => {
    if (end > runStart) out += buf.toString('utf8', runStart, end);
  };
  for (let i = 0; i < buf.length; ) {
    const c = buf[i] as number;
    if (c === BACKSLASH) {
      flush(i);
      out += '\\\\';
      runStart = ++i;
      continue;
    }
    const n = sequenceLength(buf, i);
    if (n === 0) {
      flush(i);
      out += `\\x${c.toString(16).padStart(2, '0')}`;
      runStart = ++i;
    } else i += n;
  }
  flush(buf.length);
  return out;
}

/** The exact bytes a text form stands for (inverse of `bytesText`). */
export function textBytes(text: string): Buffer {
  if (WINDOWS || !text.includes('\\')) return Buffer.from(text, 'utf8');
  const parts: Buffer[] = [];
  let runStart = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== '\\') continue;
    parts.push(Buffer.from(text.slice(runStart, i), 'utf8'));
    if (text[i + 1] === '\\') {
      parts.push(Buffer.of(BACKSLASH));
      i += 1;
    } else if (text[i + 1] === 'x' && /^[0-9a-f]{2}$/.test(text.slice(i + 2, i + 4))) {
      parts.push(Buffer.of(Number.parseInt(text.slice(i + 2, i + 4), 16)));
      i += 3;
    } else {
      // Not one of ours (a path typed by a user): keep the backslash as it is.
      parts.push(Buffer.of(BACKSLASH));
    }
    runStart = i + 1;
  }
  parts.push(Buffer.from(text.slice(runStart), 'utf8'));
  return Buffer.concat(parts);
}
