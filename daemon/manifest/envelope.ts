// sealwatch's own release manifest (issue 11): per app and version, every file with its size, SHA-256, kind, file
// version, authentihash / cdhash and expected signer. The payload is serialised by the JSON Canonicalization Scheme
// (RFC 8785) and signed with Ed25519 over a domain-separated message, so the same payload always has the same bytes
// and a signature for anything else cannot be replayed as a manifest signature. Key id = SHA-256 of the public key's
// SPKI DER. A sequence number and an expiry make a replayed older manifest and a frozen one detectable.
// Pure apart from node:crypto: time and the last accepted sequence come in as arguments.
import { createHash, createPublicKey, sign as edSign, verify as edVerify, type KeyObject } from 'node:crypto';
import canonicalize from 'canonicalize';
import { SealwatchError } from '../shared/errors.ts';
import { type ManifestRejection } from './model.ts';

export const MANIFEST_FORMAT = 'sealwatch-manifest/1';
/** Signed bytes = this prefix + the canonical payload: a signature made for another purpose never verifies here. */
const DOMAIN = `${MANIFEST_FORMAT}\n`;
const MAX_FILES = 1_000_000;

export interface ManifestFileEntry {
  readonly path: string;
  readonly size: number;
  readonly sha256?: string;
  readonly kind: string;
  readonly format: string;
  readonly file_version?: string;
  readonly authentihash?: string;
  readonly cdhash?: string;
  /** sealwatch's signer identity (`org:…`, `team:…`, '' when unsigned). */
  readonly signer: string;
}

export interface ManifestPayload {
  readonly app: string;
  readonly version: string;
  /** Set by `manifest sign`: strictly greater for every newer manifest of the app. */
  readonly sequence?: number;
  readonly issued_at?: string;
  readonly expires_at?: string;
  readonly generated_from?: string;
  readonly files: readonly ManifestFileEntry[];
}

export interface ManifestSignature {
  readonly keyid: string;
  readonly sig: string;
}

export interface ManifestEnvelope {
  readonly format: typeof MANIFEST_FORMAT;
  readonly payload: ManifestPayload;
  readonly signatures: readonly ManifestSignature[];
}

/** SHA-256 of the SPKI DER encoding, hex. */
export function keyId(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return createHash('sha256').update(pub.export({ type: 'spki', format: 'der' })).digest('hex');
}

export function canonicalPayload(payload: ManifestPayload): Buffer {
  const text = canonicalize(payload);
  if (text === undefined) throw new SealwatchError('MALFORMED', 'manifest payload cannot be canonicalised');
  return Buffer.from(DOMAIN + text, 'utf8');
}

/** Digest of the signed content: what "the same manifest" means for replay checks. */
export function payloadDigest(payload: ManifestPayload): string {
  return createHash('sha256').update(canonicalPayload(payload)).digest('hex');
}

export function signPayload(payload: ManifestPayload, key: KeyObject): ManifestEnvelope {
  if (key.asymmetricKeyType !== 'ed25519' || key.type !== 'private') throw new SealwatchError('CONFIG', 'manifest signing needs an Ed25519 private key');
  const sig = edSign(null, canonicalPayload(payload), key).toString('base64');
  return { format: MANIFEST_FORMAT, payload, signatures: [{ keyid: keyId(key), sig }] };
}

export class ManifestRejected extends SealwatchError {
  readonly reason: ManifestRejection;
  constructor(reason: ManifestRejection, message: string) {
    super('MALFORMED', message);
    this.name = 'ManifestRejected';
    this.reason = reason;
  }
}

const HEX64 = /^[0-9a-f]{64}$/;
const HEX40 = /^[0-9a-f]{40}$/;

/** Structural checks on untrusted JSON: every field the type promises, nothing that would be misread. */
export function parseEnvelope(text: string): ManifestEnvelope {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ManifestRejected('malformed', `not JSON: ${(err as Error).message}`);
  }
  const bad = (why: string): never => {
    throw new ManifestRejected('malformed', why);
  };
  if (!isObject(raw)) return bad('not a JSON object');
  if (raw.format !== MANIFEST_FORMAT) bad(`format is ${JSON.stringify(raw.format)}, not ${MANIFEST_FORMAT}`);
  const p = raw.payload;
  if (!isObject(p)) return bad('no payload object');
  if (typeof p.app !== 'string' || !p.app) bad('payload.app must be a non-empty string');
  if (typeof p.version !== 'string' || !p.version) bad('payload.version must be a non-empty string');
  if (p.sequence !== undefined && !(Number.isSafeInteger(p.sequence) && (p.sequence as number) >= 0)) bad('payload.sequence must be a whole number ≥ 0');
  for (const k of ['issued_at', 'expires_at'] as const) if (p[k] !== undefined && (typeof p[k] !== 'string' || Number.isNaN(Date.parse(p[k] as string)))) bad(`payload.${k} must be an ISO date-time`);
  if (!Array.isArray(p.files)) return bad('payload.files must be an array');
  if (p.files.length > MAX_FILES) bad(`payload.files lists more than ${MAX_FILES} files`);
  const seen = new Set<string>();
  p.files.forEach((f: unknown, i: number) => {
    const at = `payload.files[${i}]`;
    if (!isObject(f)) return bad(`${at} is not an object`);
    if (typeof f.path !== 'string' || !f.path || f.path.startsWith('/') || f.path.split('/').includes('..')) bad(`${at}.path must be a relative path inside the app`);
    if (seen.has(f.path as string)) bad(`${at}.path ${JSON.stringify(f.path)} is listed twice`);
    seen.add(f.path as string);
    if (!Number.isSafeInteger(f.size) || (f.size as number) < 0) bad(`${at}.size must be a whole number ≥ 0`);
    if (f.sha256 !== undefined && !(typeof f.sha256 === 'string' && HEX64.test(f.sha256))) bad(`${at}.sha256 must be 64 lowercase hex digits`);
    if (f.authentihash !== undefined && !(typeof f.authentihash === 'string' && HEX64.test(f.authentihash))) bad(`${at}.authentihash must be 64 lowercase hex digits`);
    if (f.cdhash !== undefined && !(typeof f.cdhash === 'string' && (HEX40.test(f.cdhash) || HEX64.test(f.cdhash)))) bad(`${at}.cdhash must be 40 or 64 lowercase hex digits`);
    if (f.sha256 === undefined && f.authentihash === undefined && f.cdhash === undefined) bad(`${at} gives no hash (sha256, authentihash or cdhash)`);
    for (const k of ['kind', 'format', 'signer'] as const) if (typeof f[k] !== 'string') bad(`${at}.${k} must be a string`);
    if (f.file_version !== undefined && typeof f.file_version !== 'string') bad(`${at}.file_version must be a string`);
    return undefined;
  });
  const sigs = raw.signatures ?? [];
  if (!Array.isArray(sigs)) return bad('signatures must be an array');
  sigs.forEach((s: unknown, i: number) => {
    if (!isObject(s) || typeof s.keyid !== 'string' || !HEX64.test(s.keyid) || typeof s.sig !== 'string') bad(`signatures[${i}] must be {keyid: 64 hex, sig: base64}`);
  });
  return { format: MANIFEST_FORMAT, payload: p as unknown as ManifestPayload, signatures: sigs as ManifestSignature[] };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export interface AcceptedSequence {
  readonly sequence: number;
  /** payloadDigest of the manifest accepted with that sequence: the same manifest may be used again, another one with the same number may not. */
  readonly digest: string;
}

export interface VerifiedManifest {
  readonly envelope: ManifestEnvelope;
  readonly keyId: string;
  readonly digest: string;
  readonly sequence: number;
}

/**
 * Verifies a signed manifest against pinned keys at `now`: a signature by one of them that verifies over the
 * canonical payload, a sequence and an expiry, not expired, not issued in the future, and — given the last sequence
 * accepted for the app — not older (a replay) nor a different manifest under the same number.
 */
export function verifyEnvelope(env: ManifestEnvelope, keys: readonly KeyObject[], now: Date, last?: AcceptedSequence): VerifiedManifest {
  const good = verifySignature(env, keys);
  const p = env.payload;
  if (p.sequence === undefined || p.expires_at === undefined) throw new ManifestRejected('malformed', 'a signed manifest needs payload.sequence and payload.expires_at');
  const expires = Date.parse(p.expires_at);
  if (now.getTime() >= expires) throw new ManifestRejected('expired', `expired at ${p.expires_at} (judged at ${now.toISOString()}): a frozen manifest is not used`);
  if (p.issued_at !== undefined && Date.parse(p.issued_at) > now.getTime() + 5 * 60_000) throw new ManifestRejected('not-yet-valid', `issued at ${p.issued_at}, after ${now.toISOString()}`);
  const digest = payloadDigest(p);
  if (last && (p.sequence < last.sequence || (p.sequence === last.sequence && digest !== last.digest))) {
    const what = p.sequence < last.sequence ? 'an older manifest replayed' : 'a different manifest under the same sequence number';
    throw new ManifestRejected('replayed', `sequence ${p.sequence} is not newer than the last accepted ${last.sequence} for ${p.app}: ${what}`);
  }
  return { envelope: env, keyId: good.keyid, digest, sequence: p.sequence };
}

/** A signature by one of the pinned keys that verifies over the canonical payload (time and sequence not judged). */
export function verifySignature(env: ManifestEnvelope, keys: readonly KeyObject[]): ManifestSignature {
  if (env.signatures.length === 0) throw new ManifestRejected('unsigned', 'the manifest is not signed (run `sealwatch manifest sign`)');
  const pinned = new Map(keys.map((k) => [keyId(k), k]));
  const byPinned = env.signatures.filter((s) => pinned.has(s.keyid));
  if (byPinned.length === 0) {
    throw new ManifestRejected('wrong-key', `signed by key ${env.signatures.map((s) => s.keyid.slice(0, 16)).join(', ')}…, none of the pinned key(s) ${[...pinned.keys()].map((k) => k.slice(0, 16)).join(', ') || '(none)'}…`);
  }
  const message = canonicalPayload(env.payload);
  const good = byPinned.find((s) => {
    const key = pinned.get(s.keyid) as KeyObject;
    try {
      return edVerify(null, message, key, Buffer.from(s.sig, 'base64'));
    } catch {
      return false;
    }
  });
  if (!good) throw new ManifestRejected('bad-signature', `the Ed25519 signature by key ${byPinned[0]?.keyid.slice(0, 16)}… does not verify: the manifest was changed after signing`);
  return good;
}
