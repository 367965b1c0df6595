// What the rules need to know about the app beyond the changes themselves: its layout before this scan (for sets of
// new modules), how far its version can be trusted, and Squirrel's version folders. Read from the store only when
// needed: a scan without new modules never lists the app's files.
import { moduleStem, type ModuleChange } from '../diff/diff.ts';
import { type PriorLayout, type VersionTrust } from '../detect/input.ts';
import { type AppVersion } from '../inventory/app-version.ts';
import { type SnapshotRow, type Store, UNVERIFIED_STATUSES } from '../inventory/store/store.ts';
import { compareVersions, versionAgrees } from '../shared/version-order.ts';
import { type RecordSink } from './record-sink.ts';

const MODULE_FORMATS = new Set(['pe', 'macho', 'elf']);

export function priorLayout(store: Store, appId: number, prev: SnapshotRow | undefined, changes: readonly ModuleChange[]): PriorLayout | undefined {
  if (!prev || !changes.some((c) => c.kind === 'added' && c.after?.isCode)) return undefined;
  const moduleNames = new Map<string, Set<string>>();
  const directories = new Set<string>();
  for (const f of store.currentFiles(appId)) {
    for (let i = f.path.lastIndexOf('/'); i > 0; i = f.path.lastIndexOf('/', i - 1)) directories.add(f.path.slice(0, i));
    if (!MODULE_FORMATS.has(f.format) || UNVERIFIED_STATUSES.includes(f.status)) continue;
    const stem = moduleStem(f.path);
    const signers = moduleNames.get(stem) ?? new Set<string>();
    signers.add(f.status === 'unsigned' ? '' : f.signer);
    moduleNames.set(stem, signers);
  }
  directories.add('');
  return { modules: prev.modules, moduleNames, directories };
}

/** Unsigned version sources that changed in this scan to a version the signed source does not have. */
/** A version source name that says it is signed (app-version.ts names them so; the snapshot keeps the name). */
export const SIGNED_SOURCE = /\((signed|sealed)\)$/;

export function versionTrust(version: AppVersion, sink: RecordSink, prev: SnapshotRow | undefined): VersionTrust {
  const signed = version.signed === true && version.source !== 'override';
  const touched = (path: string): boolean => sink.has(path) || [...sink.fresh.keys()].some((p) => p.startsWith(`${path}/`));
  const unsignedMoved = signed
    ? (version.candidates ?? []).filter((c) => !c.signed && !versionAgrees(c.version, version.version ?? '') && touched(c.path)).map((c) => ({ source: c.source, path: c.path, version: c.version }))
    : [];
  // The previous snapshot's version was signed and this one's is not: the signed source was removed or broken.
  const lostSignature = !!prev?.version_source && SIGNED_SOURCE.test(prev.version_source) && version.signed !== true;
  return { source: version.source, signed: version.signed === true, unsignedMoved, ...(lostSignature ? { lostSignature: prev?.version_source ?? '' } : {}) };
}

/** For a path in the newest Squirrel folder: the same path in each older folder, newest first. */
export function squirrelBases(path: string, folders: readonly string[]): string[] {
  const [newest, ...older] = folders;
  if (!newest || !path.startsWith(`${newest}/`)) return [];
  const rest = path.slice(newest.length + 1);
  return older.map((f) => `${f}/${rest}`);
}

/** Squirrel folders on disk and those removed in this scan (an update may delete the folder it replaces), newest first. */
export function squirrelHistory(onDisk: readonly string[], removed: readonly string[]): string[] {
  const gone = removed.map((p) => p.split('/')[0] ?? '').filter((f) => /^app-\d+(\.\d+)*/.test(f) && removed.some((p) => p.startsWith(`${f}/`)));
  return [...new Set([...onDisk, ...gone])].sort((a, b) => compareVersions(b.slice(4), a.slice(4)) ?? 0);
}
