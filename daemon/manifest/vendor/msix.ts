// An installed MSIX/AppX package read as the vendor's signed file list: AppxSignature.p7x signs (SpcIndirectData over
// an "APPX" digest blob) the SHA-256 of AppxBlockMap.xml ("AXBM"), and the block map gives every file of the package
// with its size and the hash of each 64 KiB block of its uncompressed bytes. So every installed file can be checked
// against what the publisher signed — the Windows counterpart of a bundle seal. The ZIP-level digests (AXPC, AXCD,
// AXCT) cover the package file, which an install does not keep.
// Spec: "AppxBlockMap.xml" schema (http://schemas.microsoft.com/appx/2010/blockmap); osslsigncode appx.c for the
// digest blob layout (APPX, then tag + digest pairs AXPC AXCD AXCT AXBM [AXCI]).
import { createHash } from 'node:crypto';
import { DOMParser, type Element } from '@xmldom/xmldom';
import { beneath, confine, openConfined, readAt, type Confinement } from '../../inventory/confined.ts';
import { errorMessage, FormatError } from '../../shared/errors.ts';
import { type ModuleRecord } from '../../shared/model.ts';
import { APPX_SIGNATURE, BLOCK_MAP, type ListedFile, type Manifest, type RejectedManifest } from '../model.ts';

export { APPX_SIGNATURE, BLOCK_MAP };

const BLOCK_SIZE = 64 * 1024;
const BLOCKMAP_NS = new Set(['http://schemas.microsoft.com/appx/2010/blockmap', 'http://schemas.microsoft.com/appx/2015/blockmap', 'http://schemas.microsoft.com/appx/2017/blockmap']);
const HASH_METHODS: Readonly<Record<string, { name: 'sha256' | 'sha384' | 'sha512'; length: number }>> = {
  'http://www.w3.org/2001/04/xmlenc#sha256': { name: 'sha256', length: 32 },
  'http://www.w3.org/2001/04/xmldsig-more#sha384': { name: 'sha384', length: 48 },
  'http://www.w3.org/2001/04/xmlenc#sha512': { name: 'sha512', length: 64 },
};
const MAX_FILES = 200_000;
const MAX_FILE_BYTES = 64 * 1024 * 1024 * 1024;

export interface BlockMapFile {
  /** '/'-separated (the block map writes '\'). */
  readonly path: string;
  readonly size: number;
  readonly blocks: readonly Buffer[];
}

export interface BlockMap {
  readonly hash: { readonly name: 'sha256' | 'sha384' | 'sha512'; readonly length: number };
  readonly files: readonly BlockMapFile[];
}

function fail(why: string): FormatError {
  return new FormatError('AppxBlockMap', 'MALFORMED', why);
}

export function parseBlockMap(bytes: Uint8Array): BlockMap {
  const errors: string[] = [];
  let doc;
  try {
    doc = new DOMParser({ onError: (level: string, msg: string) => void (level !== 'warning' && errors.push(msg)) }).parseFromString(Buffer.from(bytes).toString('utf8'), 'text/xml');
  } catch (err) {
    throw fail(`not well-formed XML: ${errorMessage(err)}`);
  }
  const root = doc.documentElement;
  if (errors.length || !root) throw fail(`not well-formed XML${errors.length ? `: ${errors[0]}` : ''}`);
  if (root.localName !== 'BlockMap' || !BLOCKMAP_NS.has(root.namespaceURI ?? '')) throw fail(`root element is ${root.nodeName} (${root.namespaceURI ?? 'no namespace'}), not an AppX BlockMap`);
  const hash = HASH_METHODS[root.getAttribute('HashMethod') ?? ''];
  if (!hash) throw fail(`HashMethod ${JSON.stringify(root.getAttribute('HashMethod'))} is not SHA-256, SHA-384 or SHA-512`);
  const fileEls = Array.from(root.childNodes).filter((n): n is Element => n.nodeType === 1 && (n as Element).localName === 'File');
  if (fileEls.length > MAX_FILES) throw fail(`more than ${MAX_FILES} files`);
  const seen = new Set<string>();
  const files = fileEls.map((el, i) => {
    const name = el.getAttribute('Name') ?? '';
    const path = name.replace(/\\/g, '/');
    if (!path || path.startsWith('/') || /^[A-Za-z]:/.test(path) || path.split('/').some((c) => c === '..' || c === '.' || c === '')) throw fail(`File[${i}] Name ${JSON.stringify(name)} is not a path inside the package`);
    const key = path.toLowerCase(); // package paths are case-insensitive
    if (seen.has(key)) throw fail(`File ${JSON.stringify(name)} is listed twice`);
    seen.add(key);
    const sizeText = el.getAttribute('Size') ?? '';
    const size = Number(sizeText);
    if (!/^\d+$/.test(sizeText) || !Number.isSafeInteger(size) || size > MAX_FILE_BYTES) throw fail(`File ${JSON.stringify(name)} Size ${JSON.stringify(sizeText)} is not a size`);
    const blocks = Array.from(el.childNodes)
      .filter((n): n is Element => n.nodeType === 1 && (n as Element).localName === 'Block')
      .map((b, k) => {
        const h = Buffer.from(b.getAttribute('Hash') ?? '', 'base64');
        if (h.length !== hash.length) throw fail(`File ${JSON.stringify(name)} Block[${k}] Hash is not a ${hash.name.toUpperCase()} digest`);
        return h;
      });
    if (blocks.length !== Math.ceil(size / BLOCK_SIZE)) throw fail(`File ${JSON.stringify(name)} has ${blocks.length} blocks for ${size} bytes (64 KiB each)`);
    return { path, size, blocks };
  });
  return { hash, files };
}

/** The signed digest blob: "APPX", then 4-byte tags each followed by a digest of `length` bytes. */
export function parseAppxDigests(blob: Uint8Array, length: number): Map<string, Buffer> {
  const b = Buffer.from(blob);
  if (b.subarray(0, 4).toString('latin1') !== 'APPX') throw fail('the signed digest does not start with "APPX": not a package signature');
  const out = new Map<string, Buffer>();
  for (let pos = 4; pos < b.length; pos += 4 + length) {
    if (pos + 4 + length > b.length) throw fail('the signed digest blob is truncated');
    out.set(b.subarray(pos, pos + 4).toString('latin1'), b.subarray(pos + 4, pos + 4 + length));
  }
  return out;
}

/** One installed file against its block-map entry, read a block at a time (no file is held whole). */
async function checkFile(c: Confinement, f: BlockMapFile, hash: BlockMap['hash']): Promise<ListedFile['checked']> {
  const { handle, stat } = await openConfined(c, beneath(c, ...f.path.split('/')));
  try {
    if (stat.size !== f.size) return { matches: false, detail: `block map: size ${stat.size}, signed ${f.size}` };
    const differ: number[] = [];
    for (let i = 0; i < f.blocks.length; i++) {
      const block = await readAt(handle, i * BLOCK_SIZE, BLOCK_SIZE);
      if (!createHash(hash.name).update(block).digest().equals(f.blocks[i] as Buffer)) differ.push(i);
    }
    return differ.length
      ? { matches: false, detail: `block map: block(s) ${differ.slice(0, 8).join(', ')} of ${f.blocks.length} differ from the signed hashes` }
      : { matches: true, detail: `block map: ${f.blocks.length} block(s) match` };
  } finally {
    await handle.close();
  }
}

export interface MsixInput {
  readonly root: string;
  /** The scan's record of AppxSignature.p7x (its signature verified by the scan), if the package has one. */
  readonly signature: ModuleRecord | undefined;
  readonly blockMapBytes: Buffer;
  /** Whether a path must be read and checked now (changed in this scan, or every path when the manifest is new). */
  readonly inScope: (path: string) => boolean;
}

/** Identifies this package version's file list: the block map and the digest its signature signs. */
export const msixDigest = (blockMapBytes: Uint8Array, signature: ModuleRecord | undefined): string =>
  createHash('sha256').update(blockMapBytes).update(signature?.code_signature.signatures[0]?.signed_digest ?? '').digest('hex');

export async function readMsixInstall(input: MsixInput): Promise<Manifest | RejectedManifest> {
  const name = `${BLOCK_MAP} under ${APPX_SIGNATURE}`;
  const reject = (reason: RejectedManifest['reason'], message: string): RejectedManifest => ({ name, kind: 'msix-blockmap', reason, message });
  const cs = input.signature?.code_signature;
  const sig = cs?.signatures[0];
  if (!cs || !cs.exists || !sig?.signed_digest) return reject('unsigned', `the package has ${BLOCK_MAP} but no readable ${APPX_SIGNATURE}`);
  if (cs.status === 'invalid') return reject('bad-signature', `${APPX_SIGNATURE} does not verify: ${cs.problems.map((p) => p.code).join(', ')}`);
  if (cs.status !== 'trusted') return reject('untrusted-signer', `${APPX_SIGNATURE} is signed by ${sig.subject_name ?? 'an unknown signer'} through a chain that is not trusted (Windows would not install it)`);
  let map: BlockMap;
  try {
    map = parseBlockMap(input.blockMapBytes);
    const signed = parseAppxDigests(Buffer.from(sig.signed_digest, 'hex'), map.hash.length).get('AXBM');
    if (!signed) return reject('malformed', `the package signature carries no AXBM digest of ${BLOCK_MAP}`);
    if (!signed.equals(createHash(map.hash.name).update(input.blockMapBytes).digest())) return reject('bad-signature', `${BLOCK_MAP} is not the one ${APPX_SIGNATURE} signs (AXBM differs): the file list was changed after signing`);
  } catch (err) {
    return reject('malformed', errorMessage(err));
  }
  const c = await confine(input.root);
  const files: ListedFile[] = [];
  for (const f of map.files) {
    if (!input.inScope(f.path)) {
      files.push({ path: f.path, size: f.size });
      continue;
    }
    let checked: ListedFile['checked'];
    try {
      checked = await checkFile(c, f, map.hash);
    } catch (err) {
      // Gone: MISSING_FROM_MANIFEST says so (the file is not among the app's files). Unreadable: not vouched for.
      checked = { matches: false, detail: `block map: cannot be read: ${errorMessage(err)}` };
    }
    files.push({ path: f.path, size: f.size, checked });
  }
  return {
    name: `${name} (${sig.organization ?? sig.subject_name ?? 'signer'})`,
    kind: 'msix-blockmap',
    strength: 'vendor-signed',
    files,
    digest: msixDigest(input.blockMapBytes, input.signature),
    facts: { signer: sig.subject_name, hash: map.hash.name, files: map.files.length },
  };
}
