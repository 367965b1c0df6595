// Property lists (Info.plist, CodeResources, entitlements, the cdhashes attribute), XML or binary, via the `plist`
// library. One entry point with a typed error, so callers never see the library's own exceptions.
import { DOMParser } from '@xmldom/xmldom';
import { parse, parseBinary, type PlistValue } from 'plist';
import { FormatError } from '../../shared/errors.ts';

export type { PlistValue };
export type PlistDict = { readonly [key: string]: PlistValue };

const BINARY_MAGIC = Buffer.from('bplist00');

export interface PlistParse {
  readonly value: PlistValue;
  /** What had to be tolerated the way CoreFoundation tolerates it (empty for a well-formed document). */
  readonly tolerated: readonly string[];
}

function strictXml(xml: string): PlistValue {
  // Well-formedness first, with our own error handler: the library's parser reports bad XML on the console. Plists
  // that Apple's tools write raise no warnings either, so any (e.g. invalid UTF-8) rejects the input.
  new DOMParser({
    onError: (level: string, message: string) => {
      throw new Error(`${level}: ${message}`);
    },
  }).parseFromString(xml, 'text/xml');
  return parse(xml);
}

const PLIST_END = '</plist>';

/**
 * Parses a property list the way CoreFoundation reads one (CFPropertyList.c, parseXMLPropertyList): whitespace before
 * the `<?xml` declaration is skipped, and nothing after the end of the top-level `<plist>` element is read. Real
 * signed entitlements need both: Node.js Foundation's macOS builds up to 2024 start with two spaces, and a Microsoft
 * Developer ID binary has a stray `</xml>` after `</plist>`. Anything else malformed is still an error.
 */
export function parsePlistDetailed(bytes: Uint8Array, what = 'plist'): PlistParse {
  try {
    const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (b.subarray(0, 8).equals(BINARY_MAGIC)) return { value: parseBinary(b), tolerated: [] };
    const xml = b.toString('utf8');
    let strictError: unknown;
    try {
      return { value: strictXml(xml), tolerated: [] };
    } catch (err) {
      strictError = err;
    }
    const tolerated: string[] = [];
    let text = xml;
    const lead = /^[\t\n\r ]+/u.exec(text)?.[0].length ?? 0;
    if (lead > 0) {
      text = text.slice(lead);
      tolerated.push(`${lead} whitespace characters before the XML declaration`);
    }
    const end = text.indexOf(PLIST_END);
    if (end >= 0) {
      const rest = text.slice(end + PLIST_END.length);
      if (rest.trim() !== '') {
        text = text.slice(0, end + PLIST_END.length);
        tolerated.push(`${Buffer.byteLength(rest)} bytes after the top-level </plist> (${JSON.stringify(rest.trim().slice(0, 24))})`);
      }
    }
    if (tolerated.length === 0) throw strictError;
    return { value: strictXml(text), tolerated };
  } catch (err) {
    throw new FormatError('plist', 'MALFORMED', `${what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

export function parsePlist(bytes: Uint8Array, what = 'plist'): PlistValue {
  return parsePlistDetailed(bytes, what).value;
}

export function parsePlistDict(bytes: Uint8Array, what = 'plist'): PlistDict {
  const v = parsePlist(bytes, what);
  if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof Uint8Array || v instanceof Date) {
    throw new FormatError('plist', 'MALFORMED', `${what}: top level is not a dictionary`);
  }
  return v as PlistDict;
}
