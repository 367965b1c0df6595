// sealwatch's own signed manifest as the check stage sees it: verified against the pinned keys and the last accepted
// sequence, then turned into a file list of strength 'pinned-key' — or a rejection (MANIFEST_INVALID).
import { type KeyObject } from 'node:crypto';
import { errorMessage } from '../shared/errors.ts';
import { sameVersion } from '../shared/version-order.ts';
import { type AcceptedSequence, ManifestRejected, parseEnvelope, verifyEnvelope, type VerifiedManifest } from './envelope.ts';
import { type Manifest, type RejectedManifest } from './model.ts';

export type OwnOutcome =
  | { readonly state: 'used'; readonly manifest: Manifest; readonly verified: VerifiedManifest }
  | { readonly state: 'other-version'; readonly name: string; readonly version: string }
  | { readonly state: 'rejected'; readonly rejected: RejectedManifest };

export function readOwnManifest(location: string, bytes: Buffer, keys: readonly KeyObject[], ctx: { app: string; version: string | undefined; now: Date; last: AcceptedSequence | undefined }): OwnOutcome {
  let v: VerifiedManifest;
  try {
    const env = parseEnvelope(bytes.toString('utf8'));
    if (env.payload.app !== ctx.app) throw new ManifestRejected('wrong-app', `it describes app ${JSON.stringify(env.payload.app)}, not ${JSON.stringify(ctx.app)}`);
    v = verifyEnvelope(env, keys, ctx.now, ctx.last);
  } catch (err) {
    const reason = err instanceof ManifestRejected ? err.reason : 'malformed';
    return { state: 'rejected', rejected: { name: location, kind: 'sealwatch', reason, message: errorMessage(err) } };
  }
  const p = v.envelope.payload;
  const name = `${location} [${p.app} ${p.version}, sequence ${v.sequence}, key ${v.keyId.slice(0, 16)}…]`;
  if (!ctx.version || !(p.version === ctx.version || sameVersion(p.version, ctx.version))) return { state: 'other-version', name, version: p.version };
  const manifest: Manifest = {
    name,
    kind: 'sealwatch',
    strength: 'pinned-key',
    app: p.app,
    version: p.version,
    digest: v.digest,
    files: p.files.map((f) => ({
      path: f.path,
      size: f.size,
      ...(f.sha256 ? { sha256: f.sha256 } : {}),
      ...(f.authentihash ? { authentihash: f.authentihash } : {}),
      ...(f.cdhash ? { cdhash: f.cdhash } : {}),
      kind: f.kind,
      ...(f.file_version ? { fileVersion: f.file_version } : {}),
      signer: f.signer,
    })),
    facts: { sequence: v.sequence, key_id: v.keyId, expires_at: p.expires_at },
  };
  return { state: 'used', manifest, verified: v };
}
