// A "golden" manifest from a clean install: every regular file under the root, read and verified by the same scanner
// `sealwatch scan` uses (confined walk, no links followed out of the root), so the paths and hashes are exactly the
// ones a scan will compare. Unsigned: `manifest sign` adds the sequence, expiry and signature.
import { scanTree } from '../inventory/scan.ts';
import { type InspectPool } from '../inventory/pool.ts';
import { SealwatchError } from '../shared/errors.ts';
import { type ModuleRecord } from '../shared/model.ts';
import { signerIdentity } from '../shared/signer.ts';
import { type ManifestFileEntry, type ManifestPayload } from './envelope.ts';

/** The manifest line of one file's record. */
export function entryOf(path: string, r: ModuleRecord): ManifestFileEntry {
  const cdhash = r.code_signature.cdhash ?? r.code_signature.signatures.find((s) => s.cdhash)?.cdhash;
  const version = r.pe?.file_version_number ?? r.pe?.file_version ?? r.module.version.file;
  return {
    path,
    size: r.file.size,
    sha256: r.file.hash.sha256,
    kind: r.module.kind ?? (r.module.format === 'unknown' ? 'data' : r.module.format),
    format: r.module.format,
    ...(version ? { file_version: version } : {}),
    ...(r.pe?.authentihash.sha256 ? { authentihash: r.pe.authentihash.sha256 } : {}),
    ...(cdhash ? { cdhash: cdhash.toLowerCase() } : {}),
    signer: signerIdentity(r),
  };
}

export async function generateManifest(root: string, app: string, version: string, pool: InspectPool): Promise<ManifestPayload> {
  const files: ManifestFileEntry[] = [];
  const outcome = await scanTree(root, { get: () => undefined }, pool, undefined, { onRecord: (f) => void files.push(entryOf(f.path, f.record)) });
  // A golden manifest must be whole: a file that could not be read would later look "not in the manifest".
  const gaps = [...outcome.unreadable.map((u) => `${u.path}: ${u.reason}`), ...outcome.special.filter((s) => s.kind !== 'symlink' || !s.inside).map((s) => `${s.path}: ${s.kind}${s.reason ? ` (${s.reason})` : ''}`)];
  if (gaps.length) throw new SealwatchError('IO', `manifest generate ${root}: ${gaps.length} path(s) could not be read as files, so the manifest would be incomplete: ${gaps.slice(0, 5).join('; ')}`, { file: root });
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { app, version, generated_from: root, files };
}
