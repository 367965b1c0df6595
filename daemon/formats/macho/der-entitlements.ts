// DER entitlements (code-signature slot 7, blob magic 0xFADE7172), which codesign writes beside the XML entitlements
// since macOS 12: `[APPLICATION 16] { INTEGER 1, [CONTEXT 16] { SEQUENCE { UTF8String key, value }* } }`, where a
// value is BOOLEAN, INTEGER, UTF8String, SEQUENCE (array) or a nested [CONTEXT 16] dictionary (Apple's
// CoreEntitlements DER; apple-codesign `plist_der.rs` encodes the same shape). Decoded into plain values.
import { decodeExact, type Asn1 } from '../cms/index.ts';
import { FormatError } from '../../shared/errors.ts';

const APPLICATION = 2;
const CONTEXT = 3;
const UNIVERSAL = 1;
const MAX_DEPTH = 32;

export type DerEntitlementValue = boolean | number | string | DerEntitlementValue[] | { [key: string]: DerEntitlementValue };

const fail = (message: string): FormatError => new FormatError('DER entitlements', 'MALFORMED', message);

export function parseDerEntitlements(payload: Uint8Array): Record<string, DerEntitlementValue> {
  const top = decodeExact(payload, 'DER entitlements');
  if (!top.is(APPLICATION, 16) || !top.constructed) throw fail('top level is not [APPLICATION 16]');
  const [version, dict] = top.children;
  if (!version || version.integer('DER entitlements version') !== 1) throw fail('version is not 1');
  if (!dict || !dict.is(CONTEXT, 16)) throw fail('no [CONTEXT 16] dictionary');
  return dictionary(dict, 0);
}

function dictionary(node: Asn1, depth: number): Record<string, DerEntitlementValue> {
  if (!node.constructed) throw fail('dictionary is not constructed');
  const out: Record<string, DerEntitlementValue> = {};
  for (const entry of node.children) {
    const [key, value] = entry.sequence('dictionary entry');
    if (!key || !value || !key.is(UNIVERSAL, 12)) throw fail('dictionary entry is not { UTF8String, value }');
    Object.defineProperty(out, key.text(), { value: convert(value, depth + 1), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function convert(node: Asn1, depth: number): DerEntitlementValue {
  if (depth > MAX_DEPTH) throw fail(`nested deeper than ${MAX_DEPTH}`);
  if (node.is(CONTEXT, 16)) return dictionary(node, depth);
  if (node.tagClass !== UNIVERSAL) throw fail(`unexpected tag class ${node.tagClass} number ${node.tagNumber}`);
  switch (node.tagNumber) {
    case 1: {
      const c = node.content();
      if (c.length !== 1) throw fail('BOOLEAN is not one byte');
      return c[0] !== 0;
    }
    case 2:
      return node.integer('entitlement integer');
    case 12:
      return node.text();
    case 16:
      return node.sequence('entitlement array').map((c) => convert(c, depth + 1));
    default:
      throw fail(`unsupported value tag ${node.tagNumber}`);
  }
}
