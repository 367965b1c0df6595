// Signed policy bundles (issue 12): policies and release manifests shipped to the fleet as one JSON document. The
// payload — a version number, issue and expiry times, and the files by name — is serialised by the JSON
// Canonicalization Scheme (RFC 8785) and signed with Ed25519 over a domain-separated message, as manifests are, so a
// manifest signature can never pass as a bundle's. Pure apart from node:crypto: the time, the pinned keys and the last
// accepted version come in as arguments.
import { sign as edSign, verify as edVerify, type KeyObject } from 'node:crypto';
import canonicalize from 'canonicalize';
import { keyId } from '../manifest/envelope.ts';
import { SealwatchError } from '../shared/errors.ts';

export const BUNDLE_FORMAT = 'sealwatch-bundle/1';
const DOMAIN = `${BUNDLE_FORMAT}\n`;
const MAX_FILES = 10_000;
/** Names are file names in one directory: no separators, no dot files, a known extension. */
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}\.(ya?ml|json)$/;

export interface BundleFile {
  readonly name: string;
  readonly content: string;
}

export interface BundlePayload {
  /** Strictly greater than the last accepted bundle's: an older bundle replayed is refused. */
  readonly version: number;
  readonly issued_at: string;
  readonly expires_at: string;
  readonly policies: readonly BundleFile[];
  readonly manifests: readonly BundleFile[];
}

export interface BundleEnvelope {
  readonly format: typeof BUNDLE_FORMAT;
  readonly payload: BundlePayload;
  readonly signatures: ReadonlyArray<{ readonly keyid: string; readonly sig: string }>;
}

export type BundleRejection = 'malformed' | 'unknown-key' | 'bad-signature' | 'expired' | 'not-yet-valid' | 'rollback';

export class BundleRejected extends SealwatchError {
  readonly reason: BundleRejection;
  /** `details`: one problem per line after the message (each a line of its own on a terminal). */
  constructor(reason: BundleRejection, message: string, details: readonly string[] = []) {
    super('MALFORMED', [message, ...details].join('\n'), { lines: [message, ...details] });
    this.name = 'BundleRejected';
    this.reason = reason;
  }
}

export function signedBytes(payload: BundlePayload): Buffer {
  const text = canonicalize(payload);
  if (text === undefined) throw new BundleRejected('malformed', 'the payload cannot be canonicalised');
  return Buffer.from(DOMAIN + text, 'utf8');
}

export function signBundle(payload: BundlePayload, key: KeyObject): BundleEnvelope {
  if (key.asymmetricKeyType !== 'ed25519' || key.type !== 'private') throw new SealwatchError('CONFIG', 'bundle signing needs an Ed25519 private key');
  return { format: BUNDLE_FORMAT, payload, signatures: [{ keyid: keyId(key), sig: edSign(null, signedBytes(payload), key).toString('base64') }] };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Structural checks on untrusted JSON: every field the type promises, every name safe to write. */
export function parseBundle(text: string): BundleEnvelope {
  const bad = (why: string): never => {
    throw new BundleRejected('malformed', why);
  };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return bad(`not JSON: ${(err as Error).message}`);
  }
  if (!isObject(raw)) return bad('not a JSON object');
  if (raw.format !== BUNDLE_FORMAT) bad(`format is ${JSON.stringify(raw.format)}, not ${BUNDLE_FORMAT}`);
  const p = raw.payload;
  if (!isObject(p)) return bad('no payload object');
  if (!Number.isSafeInteger(p.version) || (p.version as number) < 1) bad('payload.version must be a whole number ≥ 1');
  for (const k of ['issued_at', 'expires_at'] as const) if (typeof p[k] !== 'string' || Number.isNaN(Date.parse(p[k] as string))) bad(`payload.${k} must be an ISO date-time`);
  for (const k of ['policies', 'manifests'] as const) {
    const list = p[k];
    if (!Array.isArray(list)) return bad(`payload.${k} must be an array`);
    if (list.length > MAX_FILES) bad(`payload.${k} has more than ${MAX_FILES} files`);
    const seen = new Set<string>();
    list.forEach((f: unknown, i: number) => {
      if (!isObject(f) || typeof f.name !== 'string' || typeof f.content !== 'string') return bad(`payload.${k}[${i}] must be {name, content}`);
      if (!SAFE_NAME.test(f.name)) bad(`payload.${k}[${i}].name ${JSON.stringify(f.name)} is not a plain .yaml / .yml / .json file name`);
      if (seen.has(f.name.toLowerCase())) bad(`payload.${k}[${i}].name ${JSON.stringify(f.name)} is listed twice`);
      seen.add(f.name.toLowerCase());
      return undefined;
    });
  }
  const sigs = raw.signatures;
  if (!Array.isArray(sigs) || sigs.length === 0) return bad('no signatures');
  sigs.forEach((s: unknown, i: number) => {
    if (!isObject(s) || typeof s.keyid !== 'string' || !/^[0-9a-f]{64}$/.test(s.keyid) || typeof s.sig !== 'string') bad(`signatures[${i}] must be {keyid: 64 hex, sig: base64}`);
  });
  return raw as unknown as BundleEnvelope;
}

/** Allowed clock difference between the signer and this host for issued_at. */
const SKEW_MS = 5 * 60_000;

/**
 * Accepts the bundle only with a valid signature by one of the pinned keys, within its validity, and a version
 * strictly above `lastVersion`. Checked in that order: nothing about an unsigned bundle is believed.
 */
export function verifyBundle(env: BundleEnvelope, keys: readonly KeyObject[], now: Date, lastVersion: number | undefined): { keyId: string } {
  const pinned = new Map(keys.map((k) => [keyId(k), k]));
  const known = env.signatures.filter((s) => pinned.has(s.keyid));
  if (known.length === 0) throw new BundleRejected('unknown-key', `signed by ${env.signatures.map((s) => s.keyid.slice(0, 16)).join(', ')}, none of them a pinned key`);
  const bytes = signedBytes(env.payload);
  const good = known.find((s) => edVerify(null, bytes, pinned.get(s.keyid) as KeyObject, Buffer.from(s.sig, 'base64')));
  if (!good) throw new BundleRejected('bad-signature', `the signature by pinned key ${known[0]?.keyid.slice(0, 16)} does not verify: the bundle was changed after signing`);
  const p = env.payload;
  if (Date.parse(p.expires_at) <= now.getTime()) throw new BundleRejected('expired', `version ${p.version} expired at ${p.expires_at}`);
  if (Date.parse(p.issued_at) > now.getTime() + SKEW_MS) throw new BundleRejected('not-yet-valid', `version ${p.version} is issued at ${p.issued_at}, in the future`);
  if (lastVersion !== undefined && p.version <= lastVersion) throw new BundleRejected('rollback', `version ${p.version} is not above the last accepted version ${lastVersion}`);
  return { keyId: good.keyid };
}
