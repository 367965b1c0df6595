// Byte-level edits of a CMS ContentInfo in the parts no signature covers — a signer's unsigned attributes, the
// certificate bag, the CRL field — and of where it sits in a PE or Mach-O, for tests that hide data there. An attacker
// needs no key for any of it: the file stays validly signed. Reads BER (Apple's CMS uses indefinite lengths) and
// writes DER for the containers it rebuilds; tag numbers below 31 only.
import { parsePeHeaders } from '../../daemon/formats/pe/headers.ts';
import { parseLoadCommands } from '../../daemon/formats/macho/load-commands.ts';

interface Element {
  readonly tag: number;
  /** Offset of the identifier octet, of the first content octet, one past the last content octet, one past the end
   * (after the end-of-contents octets of an indefinite length). */
  readonly start: number;
  readonly contentStart: number;
  readonly contentEnd: number;
  readonly end: number;
}

function element(b: Uint8Array, at: number): Element {
  const tag = b[at] as number;
  let len = b[at + 1] as number;
  let p = at + 2;
  if (len === 0x80) {
    // Indefinite: elements up to the end-of-contents octets 00 00.
    let q = p;
    while (b[q] !== 0 || b[q + 1] !== 0) q = element(b, q).end;
    return { tag, start: at, contentStart: p, contentEnd: q, end: q + 2 };
  }
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n > 4) throw new Error(`cms-edit: unsupported length form at ${at}`);
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (b[p++] as number);
  }
  return { tag, start: at, contentStart: p, contentEnd: p + len, end: p + len };
}

function children(b: Uint8Array, e: Element): Element[] {
  const out: Element[] = [];
  for (let at = e.contentStart; at < e.contentEnd; at = out[out.length - 1]!.end) out.push(element(b, at));
  return out;
}

/** The content octets of the element at the start of `b`. */
function contentOf(b: Buffer): Buffer {
  const e = element(b, 0);
  return b.subarray(e.contentStart, e.contentEnd);
}

function lengthOctets(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** One DER element: identifier octet, length, content. */
export function tlv(tag: number, content: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([tag]), lengthOctets(content.length), content]);
}

export function derOid(dotted: string): Buffer {
  const [a = 0, b = 0, ...rest] = dotted.split('.').map(Number);
  const body: number[] = [a * 40 + b];
  for (const arc of rest) {
    const digits = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) digits.unshift(0x80 | (v & 0x7f));
    body.push(...digits);
  }
  return tlv(0x06, Buffer.from(body));
}

/** Attribute ::= SEQUENCE { attrType OID, attrValues SET OF ANY }. */
export function attribute(oid: string, values: readonly Uint8Array[]): Buffer {
  return tlv(0x30, Buffer.concat([derOid(oid), tlv(0x31, Buffer.concat(values))]));
}

/** An OCTET STRING of `size` bytes of a repeating, recognisable payload. */
export function payloadOctets(size: number): Buffer {
  const payload = Buffer.alloc(size);
  for (let i = 0; i < size; i++) payload[i] = 0x41 + (i % 26);
  return tlv(0x04, payload);
}

const raw = (b: Uint8Array, e: Element): Buffer => Buffer.from(b.subarray(e.start, e.end));

/** The ContentInfo rebuilt with `edit` applied to the list of the SignedData's elements (each as raw DER). */
function editSignedData(contentInfo: Uint8Array, edit: (parts: Buffer[], tags: number[]) => Buffer[]): Buffer {
  const ci = element(contentInfo, 0);
  const [type, explicit] = children(contentInfo, ci);
  if (!type || !explicit) throw new Error('cms-edit: not a ContentInfo');
  const sd = element(contentInfo, explicit.contentStart);
  const parts = children(contentInfo, sd);
  const edited = edit(parts.map((p) => raw(contentInfo, p)), parts.map((p) => p.tag));
  return tlv(0x30, Buffer.concat([raw(contentInfo, type), tlv(0xa0, tlv(0x30, Buffer.concat(edited)))]));
}

/** The ContentInfo rebuilt with `edit` applied to the first SignerInfo's list of unsigned attributes (raw DER each). */
function editUnsignedAttributes(contentInfo: Uint8Array, edit: (attrs: Buffer[]) => Buffer[]): Buffer {
  return editSignedData(contentInfo, (parts) => {
    const signerInfos = parts[parts.length - 1] as Buffer;
    const set = element(signerInfos, 0);
    const [first, ...others] = children(signerInfos, set);
    if (!first) throw new Error('cms-edit: no SignerInfo');
    const fields = children(signerInfos, first).map((f) => ({ tag: f.tag, bytes: raw(signerInfos, f) }));
    const unsigned = fields.find((f) => f.tag === 0xa1);
    const list = unsigned ? contentOf(unsigned.bytes) : Buffer.alloc(0);
    const attrs = edit(children(list, { tag: 0, start: 0, contentStart: 0, contentEnd: list.length, end: list.length }).map((a) => raw(list, a)));
    const kept = fields.filter((f) => f.tag !== 0xa1).map((f) => f.bytes);
    const signer = tlv(0x30, Buffer.concat([...kept, tlv(0xa1, Buffer.concat(attrs))]));
    parts[parts.length - 1] = tlv(0x31, Buffer.concat([signer, ...others.map((o) => raw(signerInfos, o))]));
    return parts;
  });
}

/** Adds `attrs` to the unsigned attributes of the SignedData's first SignerInfo (creating the [1] field if absent). */
export function addUnsignedAttributes(contentInfo: Uint8Array, attrs: readonly Uint8Array[]): Buffer {
  return editUnsignedAttributes(contentInfo, (list) => [...list, ...attrs.map((a) => Buffer.from(a))]);
}

/** Applies `edit` to the RFC 3161 token (a ContentInfo of its own) in the first SignerInfo's timestamp attribute. */
export function editTimestampToken(contentInfo: Uint8Array, oid: string, edit: (token: Buffer) => Buffer): Buffer {
  const type = derOid(oid);
  return editUnsignedAttributes(contentInfo, (list) =>
    list.map((a) => {
      const [attrType, values] = children(a, element(a, 0));
      if (!attrType || !values || !raw(a, attrType).equals(type)) return a;
      const [token] = children(a, values);
      if (!token) return a;
      return tlv(0x30, Buffer.concat([type, tlv(0x31, edit(raw(a, token)))]));
    }),
  );
}

/** Adds a CRL field ([1], after the certificates) holding `content` as it is: nothing parses or checks it. */
export function addCrls(contentInfo: Uint8Array, content: Uint8Array): Buffer {
  return editSignedData(contentInfo, (parts, tags) => {
    const at = tags.lastIndexOf(0xa0) > 2 ? tags.lastIndexOf(0xa0) + 1 : 3;
    return [...parts.slice(0, at), tlv(0xa1, content), ...parts.slice(at)];
  });
}

/** Adds `content` (each a raw DER element) to the certificate bag ([0] after the encapsulated content). */
export function addToCertificateBag(contentInfo: Uint8Array, content: readonly Uint8Array[]): Buffer {
  return editSignedData(contentInfo, (parts, tags) => {
    const bag = tags.indexOf(0xa0, 3);
    if (bag < 0) return [...parts.slice(0, 3), tlv(0xa0, Buffer.concat(content)), ...parts.slice(3)];
    const old = parts[bag] as Buffer;
    parts[bag] = tlv(0xa0, Buffer.concat([contentOf(old), ...content]));
    return parts;
  });
}

/** The PE's first WIN_CERTIFICATE entry's ContentInfo (without the zero padding signers leave inside dwLength). */
export function peSignature(pe: Buffer): Buffer {
  const { offset } = certDirectory(pe);
  const entry = pe.subarray(offset + 8, offset + pe.readUInt32LE(offset));
  return entry.subarray(0, element(entry, 0).end);
}

/** The ContentInfo without its certificate bag (what a TSA returns for a request with certReq false). */
export function withoutCertificateBag(contentInfo: Uint8Array): Buffer {
  return editSignedData(contentInfo, (parts, tags) => parts.filter((_, i) => !(i >= 3 && tags[i] === 0xa0)));
}

/** The PE with one more WIN_CERTIFICATE entry after the last: `revision`/`type` as given, `content` as it is. */
export function withExtraEntry(pe: Buffer, revision: number, type: number, content: Uint8Array): Buffer {
  const { dd, size } = certDirectory(pe);
  const header = Buffer.alloc(8);
  header.writeUInt32LE(8 + content.length, 0);
  header.writeUInt16LE(revision, 4);
  header.writeUInt16LE(type, 6);
  const entry = Buffer.concat([header, content, Buffer.alloc((8 - (content.length % 8)) % 8)]);
  const out = Buffer.concat([pe, entry]);
  out.writeUInt32LE(size + entry.length, dd + 4);
  return out;
}

function certDirectory(pe: Buffer): { dd: number; offset: number; size: number } {
  const dd = parsePeHeaders(pe).certDirectoryOffset;
  if (dd === undefined) throw new Error('cms-edit: no certificate directory');
  return { dd, offset: pe.readUInt32LE(dd), size: pe.readUInt32LE(dd + 4) };
}

/** The PE with its (single, last-in-file) WIN_CERTIFICATE entry's ContentInfo replaced, lengths and padding fixed. */
export function withPeSignature(pe: Buffer, contentInfo: Uint8Array): Buffer {
  const { dd, offset } = certDirectory(pe);
  const header = Buffer.from(pe.subarray(offset, offset + 8));
  header.writeUInt32LE(8 + contentInfo.length, 0);
  const entry = Buffer.concat([header, contentInfo, Buffer.alloc((8 - (contentInfo.length % 8)) % 8)]);
  const out = Buffer.concat([pe.subarray(0, offset), entry]);
  out.writeUInt32LE(entry.length, dd + 4);
  return out;
}

/** The thin Mach-O's CMS blob (the SuperBlob's 0x10000 entry): where it is and its ContentInfo. */
function cmsBlob(m: Buffer): { area: number; datasize: number; superLength: number; blobAt: number; entry: number; contentInfo: Buffer } {
  const cs = parseLoadCommands(m).codeSignature;
  if (!cs) throw new Error('cms-edit: no code signature');
  const area = cs.dataoff;
  const count = m.readUInt32BE(area + 8);
  for (let i = 0; i < count; i++) {
    const entry = area + 12 + i * 8;
    if (m.readUInt32BE(entry) !== 0x10000) continue;
    const blobAt = area + m.readUInt32BE(entry + 4);
    return { area, datasize: cs.datasize, superLength: m.readUInt32BE(area + 4), blobAt, entry, contentInfo: m.subarray(blobAt + 8, blobAt + m.readUInt32BE(blobAt + 4)) };
  }
  throw new Error('cms-edit: no CMS blob');
}

export const machoSignature = (m: Buffer): Buffer => cmsBlob(m).contentInfo;

/**
 * The Mach-O with its CMS blob (the last blob) replaced by `contentInfo`, in the slack the signer reserved: the
 * signature area's size sits in page 0, which the CodeDirectory hashes, so it cannot grow.
 */
export function withMachoSignature(m: Buffer, contentInfo: Uint8Array): Buffer {
  const { area, datasize, superLength, blobAt, contentInfo: old } = cmsBlob(m);
  if (blobAt + 8 + old.length !== area + superLength) throw new Error('cms-edit: the CMS blob is not the last one');
  const grown = superLength + contentInfo.length - old.length;
  if (grown > datasize) throw new Error(`cms-edit: ${grown} bytes do not fit the ${datasize}-byte signature area`);
  const out = Buffer.from(m);
  out.fill(0, blobAt, area + datasize);
  Buffer.from(contentInfo).copy(out, blobAt + 8);
  out.writeUInt32BE(0xfade0b01, blobAt);
  out.writeUInt32BE(8 + contentInfo.length, blobAt + 4);
  out.writeUInt32BE(grown, area + 4);
  return out;
}

/** Appends `element` after the SignedData's last field (signerInfos), where no structure expects anything. */
export function appendToSignedData(contentInfo: Uint8Array, element: Uint8Array): Buffer {
  return editSignedData(contentInfo, (parts) => [...parts, Buffer.from(element)]);
}

/** Puts `content` inside the encapsulated content of a detached signature (Apple signs the CodeDirectory instead). */
export function withEContent(contentInfo: Uint8Array, content: Uint8Array): Buffer {
  return editSignedData(contentInfo, (parts) => {
    const eci = parts[2] as Buffer;
    const [type] = children(eci, element(eci, 0));
    if (!type) throw new Error('cms-edit: no eContentType');
    parts[2] = tlv(0x30, Buffer.concat([raw(eci, type), tlv(0xa0, tlv(0x04, content))]));
    return parts;
  });
}

/** The SignedData's certificates (the bag's elements as raw DER). */
export function bagCertificates(contentInfo: Uint8Array): Buffer[] {
  let out: Buffer[] = [];
  editSignedData(contentInfo, (parts, tags) => {
    const bag = parts[tags.indexOf(0xa0, 3)];
    if (bag) out = children(bag, element(bag, 0)).map((c) => raw(bag, c));
    return parts;
  });
  return out;
}

/**
 * A copy of `certificate` with one more extension holding `size` bytes: same subject, issuer and key, its own signature
 * no longer valid — what anyone can make of a CA certificate to pass it off as a cross-certificate with room inside.
 */
export function withExtraExtension(certificate: Uint8Array, size: number): Buffer {
  const cert = element(certificate, 0);
  const [tbs, ...rest] = children(certificate, cert);
  if (!tbs) throw new Error('cms-edit: not a certificate');
  const fields = children(certificate, tbs).map((f) => ({ tag: f.tag, bytes: raw(certificate, f) }));
  const extension = tlv(0x30, Buffer.concat([derOid('1.3.6.1.4.1.99999.1'), payloadOctets(size)]));
  const extensions = fields.find((f) => f.tag === 0xa3);
  const list = extensions ? contentOf(contentOf(extensions.bytes)) : Buffer.alloc(0);
  const grown = tlv(0xa3, tlv(0x30, Buffer.concat([list, extension])));
  const tbsFields = [...fields.filter((f) => f.tag !== 0xa3).map((f) => f.bytes), grown];
  return tlv(0x30, Buffer.concat([tlv(0x30, Buffer.concat(tbsFields)), ...rest.map((r) => raw(certificate, r))]));
}

/** The ContentInfo with each certificate of its bag passed through `edit` (raw DER in, raw DER out). */
export function mapCertificateBag(contentInfo: Uint8Array, edit: (certificate: Buffer, index: number) => Buffer): Buffer {
  return editSignedData(contentInfo, (parts, tags) => {
    const at = tags.indexOf(0xa0, 3);
    const bag = parts[at];
    if (!bag) return parts;
    const certs = children(bag, element(bag, 0)).map((c, i) => edit(raw(bag, c), i));
    parts[at] = tlv(0xa0, Buffer.concat(certs));
    return parts;
  });
}

/** A certificate with `size` bytes appended as an element after its signature: its issuer's signature still verifies. */
export function withTrailingElement(certificate: Uint8Array, size: number): Buffer {
  return tlv(0x30, Buffer.concat([contentOf(Buffer.from(certificate)), payloadOctets(size)]));
}

/** The ContentInfo with `parameters` (raw DER) as the parameters of SignedData's first digest algorithm. */
export function withDigestAlgorithmParameters(contentInfo: Uint8Array, parameters: Uint8Array): Buffer {
  return editSignedData(contentInfo, (parts) => {
    const set = parts[1] as Buffer;
    const [first, ...rest] = children(set, element(set, 0));
    if (!first) throw new Error('cms-edit: no digest algorithm');
    const [oid] = children(set, first);
    if (!oid) throw new Error('cms-edit: no algorithm OID');
    const alg = tlv(0x30, Buffer.concat([raw(set, oid), Buffer.from(parameters)]));
    parts[1] = tlv(0x31, Buffer.concat([alg, ...rest.map((r) => raw(set, r))]));
    return parts;
  });
}
