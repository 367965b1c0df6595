// What the rules need to know about the app beyond the changes themselves: its layout before this scan (for sets of
// new modules), how far its version can be trusted, and Squirrel's version folders. Read from the store only when
// needed: a scan without new modules never lists the app's files.
import { moduleStem, type ModuleChange } from '../diff/diff.ts';
import { type PriorLayout, type VersionTrust } from '../detect/input.ts';
import { SQUIRREL_FOLDER, type AppVersion } from '../inventory/app-version.ts';
import { type SnapshotRow, type Store, UNVERIFIED_STATUSES } from '../inventory/store/store.ts';
import { compareVersions, versionAgrees } from '../shared/version-order.ts';
import { type RecordSink } from './record-sink.ts';

const MODULE_FORMATS = new Set(['pe', 'macho', 'elf']);

/**
 * `squirrel`: the app's Squirrel version folders, newest first. A folder of the previous version counts as a folder
 * of the newest one too (`app-1.0.0/lib` as `app-1.1.0/lib`): a module new in `app-1.1.0/lib` is new in a folder the
 * app already had, never "a new architecture folder" to group away.
 */
export function priorLayout(store: Store, appId: number, prev: SnapshotRow | undefined, changes: readonly ModuleChange[], squirrel: readonly string[] = []): PriorLayout | undefined {
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
  const [newest, ...older] = squirrel;
  for (const d of [...directories]) {
    const folder = older.find((f) => d === f || d.startsWith(`${f}/`));
    if (newest && folder) directories.add(`${newest}${d.slice(folder.length)}`);
  }
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
  // Which file gives the version: an executable by its name (a Squirrel folder moves with every update), else the
  // kind of source. A signed version that now comes from another executable was not moved by an update.
  const switched = !lostSignature && version.signed === true && !!prev?.version && sourceFile(prev.version_source) !== sourceFile(version.source) && sourceFile(version.source).startsWith('exe:');
  return { source: version.source, signed: version.signed === true, unsignedMoved, ...(lostSignature ? { lostSignature: prev?.version_source ?? '' } : {}), ...(switched ? { switchedFrom: prev?.version_source ?? '' } : {}) };
}

/**
 * `version resource of app-1.2.3/Contoso.exe (signed)` → `exe:app-x/contoso.exe`, `… of Contoso.exe` → `exe:contoso.exe`;
 * other sources by name, signed or not. A Squirrel folder's executable keeps its name across releases, but one at the
 * top of the root is another source: an executable moved into a folder named like a release is not an update.
 */
function sourceFile(source: string | null | undefined): string {
  const m = /^version resource of (?:(.*)\/)?(.+?)(?: \(signed\))?$/.exec(source ?? '');
  if (!m) return (source ?? '').replace(SIGNED_SOURCE, '').trim();
  const folder = m[1] === undefined ? '' : SQUIRREL_FOLDER.test(m[1]) ? 'app-x/' : `${m[1].toLowerCase()}/`;
  return `exe:${folder}${(m[2] ?? '').toLowerCase()}`;
}

/** For a path in the newest Squirrel folder: the same path in each older folder, newest first. */
export function squirrelBases(path: string, folders: readonly string[]): string[] {
  const [newest, ...older] = folders;
  if (!newest || !path.startsWith(`${newest}/`)) return [];
  const rest = path.slice(newest.length + 1);
  return older.map((f) => `${f}/${rest}`);
}

/**
 * The Squirrel version folders that hold something among `paths` (relative, '/'-separated): an empty app-x.y.z folder
 * (an update still unpacking, or one made to look newest) is no version. The scan and the replay of a stored history
 * (policy/replay.ts) both take the folders from the paths they have, so both pair the same way.
 */
export function squirrelFoldersOf(paths: Iterable<string>): string[] {
  const folders = new Set<string>();
  for (const p of paths) {
    const top = p.slice(0, Math.max(0, p.indexOf('/')));
    if (top && SQUIRREL_FOLDER.test(top)) folders.add(top);
  }
  return [...folders];
}

/** Squirrel folders present and those removed in this scan (an update may delete the folder it replaces), newest first. */
export function squirrelHistory(present: readonly string[], removed: readonly string[]): string[] {
  const gone = removed.map((p) => p.split('/')[0] ?? '').filter((f) => SQUIRREL_FOLDER.test(f) && removed.some((p) => p.startsWith(`${f}/`)));
  return [...new Set([...present, ...gone])].sort((a, b) => compareVersions(b.slice(4), a.slice(4)) ?? 0);
}

/**
 * For a module new in the newest Squirrel folder with no file at the same path in the folder before: the module of
 * that folder it replaces when a release renames it (`app-0.35.4/lib/libvips-cpp-8.18.6.dll` →
 * `app-0.35.5/lib/libvips-cpp-8.18.7.dll`) — in the same relative folder, the same format and name apart from
 * versions and architecture words, and the only one that fits. The caller checks the signers agree (diff.ts rules).
 */
export function squirrelCounterpart(path: string, folders: readonly string[], files: () => readonly { path: string; format: string }[], inNewest: (path: string) => boolean): string | undefined {
  const [newest, previous] = folders;
  if (!newest || !previous || !path.startsWith(`${newest}/`)) return undefined;
  const rest = path.slice(newest.length + 1);
  const dir = rest.includes('/') ? `${previous}/${rest.slice(0, rest.lastIndexOf('/'))}/` : `${previous}/`;
  const stem = moduleStem(path);
  const fits = files().filter((f) => f.path.startsWith(dir) && !f.path.slice(dir.length).includes('/') && MODULE_FORMATS.has(f.format) && moduleStem(f.path) === stem && !inNewest(`${newest}/${f.path.slice(previous.length + 1)}`));
  return fits.length === 1 ? fits[0]?.path : undefined;
}
