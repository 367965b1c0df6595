// An Apple bundle's resource seal (`_CodeSignature/CodeResources`, VERIFY-NOTES B11) read as the vendor's per-file
// list. The scan already verifies the seal (a broken seal is SIGNATURE_INVALID on the bundle), so this list raises
// nothing of its own: it vouches — with the strength of the vendor's signature, only where the bundle's signature is
// trusted — for the files it seals (SHA-256 "hash2"), nested code (cdhash) and the main executable (the bundle's cdhash).
import { beneath, confine, readConfined } from '../../inventory/confined.ts';
import { errorMessage } from '../../shared/errors.ts';
import { type ModuleRecord } from '../../shared/model.ts';
import { parseCodeResources } from '../../verify/codesign/seal.ts';
import { type ListedFile, type Manifest } from '../model.ts';
import { createHash } from 'node:crypto';

/** Where a bundle keeps its seal, and the directory its paths are relative to. */
const LAYOUTS: ReadonlyArray<{ readonly seal: string; readonly content: string }> = [
  { seal: 'Contents/_CodeSignature/CodeResources', content: 'Contents/' }, // macOS .app, .appex, .xpc
  { seal: 'Versions/Current/_CodeSignature/CodeResources', content: 'Versions/Current/' }, // frameworks
  { seal: '_CodeSignature/CodeResources', content: '' }, // shallow bundles
];
const MAX_SEAL_BYTES = 16 * 1024 * 1024;

/** The seal of the bundle at `path` ('./' for the root) as a vouch-only file list; undefined when not trusted or unreadable. */
export async function readBundleSeal(root: string, path: string, record: ModuleRecord, onError: (message: string) => void): Promise<Manifest | undefined> {
  const cs = record.code_signature;
  if (!record.bundle || cs.status !== 'trusted') return undefined;
  const prefix = path === './' ? '' : `${path.replace(/\/$/, '')}/`;
  const c = await confine(root);
  for (const layout of LAYOUTS) {
    let bytes: Buffer;
    try {
      bytes = await readConfined(c, beneath(c, ...`${prefix}${layout.seal}`.split('/')), MAX_SEAL_BYTES);
    } catch {
      continue;
    }
    let seal;
    try {
      seal = parseCodeResources(bytes);
    } catch (err) {
      onError(`${prefix}${layout.seal}: ${errorMessage(err)}`);
      return undefined;
    }
    const base = `${prefix}${layout.content}`;
    const files: ListedFile[] = [];
    for (const [rel, f] of seal.files) {
      if (f.symlink !== undefined) continue;
      if (f.sha256) files.push({ path: `${base}${rel}`, sha256: f.sha256 });
      else if (f.cdhash) files.push({ path: `${base}${rel}`, cdhash: f.cdhash });
    }
    const cdhash = cs.cdhash ?? cs.signatures.find((s) => s.cdhash)?.cdhash;
    if (record.bundle.executable && cdhash) files.push({ path: `${base}MacOS/${record.bundle.executable}`, cdhash: cdhash.toLowerCase() });
    const team = cs.team_id ?? cs.signatures.find((s) => s.team_id)?.team_id;
    return {
      name: `${base}_CodeSignature/CodeResources (${record.bundle.identifier ?? 'bundle'}${team ? `, Team ID ${team}` : ''})`,
      kind: 'apple-coderesources',
      strength: 'vendor-signed',
      files,
      scope: prefix,
      vouchOnly: true,
      digest: createHash('sha256').update(bytes).digest('hex'),
      facts: { bundle: path, sealed_files: seal.files.size, seal_version: seal.version, ...(team ? { team_id: team } : {}) },
    };
  }
  return undefined;
}
