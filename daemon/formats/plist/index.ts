// Property lists (Info.plist, CodeResources, entitlements, the cdhashes attribute), XML or binary, via the `plist`
// library. One entry point with a typed error, so callers never see the library's own exceptions.
import { DOMParser } from '@xmldom/xmldom';
import { parse, parseBinary, type PlistValue } from 'plist';
import { FormatError } from '../../shared/errors.ts';

export type { PlistValue };
export type PlistDict = { readonly [key: string]: PlistValue };

const BINARY_MAGIC = Buffer.from('bplist00');

export function parsePlist(bytes: Uint8Array, what = 'plist'): PlistValue {
  try {
    const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (b.subarray(0, 8).equals(BINARY_MAGIC)) return parseBinary(b);
    const xml = b.toString('utf8');
    // Well-formedness first, with our own error handler: the library's parser reports bad XML on the console. Plists
    // that Apple's tools write raise no warnings either, so any (e.g. invalid UTF-8) rejects the input.
    new DOMParser({
      onError: (level: string, message: string) => {
        throw new Error(`${level}: ${message}`);
      },
    }).parseFromString(xml, 'text/xml');
    return parse(xml);
  } catch (err) {
    throw new FormatError('plist', 'MALFORMED', `${what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

export function parsePlistDict(bytes: Uint8Array, what = 'plist'): PlistDict {
  const v = parsePlist(bytes, what);
  if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof Uint8Array || v instanceof Date) {
    throw new FormatError('plist', 'MALFORMED', `${what}: top level is not a dictionary`);
  }
  return v as PlistDict;
}
