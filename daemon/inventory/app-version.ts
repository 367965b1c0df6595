// An app's version, from the source an attacker who can write the app folder can least easily forge. Every source
// found is a candidate; a signed one (a trusted main executable's version resource, the Info.plist of a bundle whose
// seal verifies) outranks every unsigned one (a Squirrel app-x.y.z folder name, resources/app-update.yml,
// package.json, an unsigned executable's version resource, an unsealed Info.plist), which keep their old order among
// themselves. An explicit override wins over all. Every file is read with the scan's reader (confined.ts): under the
// root, no-follow, non-blocking, bounded — a `package.json` linked outside, a FIFO or `/dev/zero` gives no version,
// and says why.
import { readdir } from 'node:fs/promises';
import { basename } from 'node:path';
import { errorMessage } from '../shared/errors.ts';
import { type ModuleRecord } from '../shared/model.ts';
import { compareVersions } from '../shared/version-order.ts';
import { beneath, confine, readConfined, type Confinement } from './confined.ts';

/** A version source is a small text file: bounded well below a module. */
export const VERSION_SOURCE_MAX_BYTES = 4 * 1024 * 1024;

export interface VersionCandidate {
  readonly source: string;
  readonly version: string;
  /** Covered by a trusted signature (or given by the operator): an attacker cannot simply write it. */
  readonly signed: boolean;
  /** The path (relative to the root) the version was read from. */
  readonly path: string;
}

export interface AppVersion {
  readonly version: string | undefined;
  readonly source: string;
  /** Whether the version in use comes from a signed source (or the operator). */
  readonly signed?: boolean;
  /** Every source that gave a version, the one in use first. */
  readonly candidates?: readonly VersionCandidate[];
  /** Version sources that exist but were refused or could not be read, with the reason. */
  readonly refused?: readonly string[];
}

/** Squirrel.Windows' own updater, which sits beside the app-x.y.z folders with a version of its own. */
const SQUIRREL_UPDATER = /^(update|squirrel)\.exe$/i;

/** Squirrel's version folders (`app-1.2.3`), newest first. */
/** A Squirrel.Windows version folder's name (app-1.2.3) at the top of an install root. */
export const SQUIRREL_FOLDER = /^app-\d+(\.\d+)*/;

export async function squirrelFolders(root: string): Promise<string[]> {
  try {
    const names = (await readdir(root, { withFileTypes: true })).filter((d) => d.isDirectory() && SQUIRREL_FOLDER.test(d.name)).map((d) => d.name);
    return names.sort((a, b) => compareVersions(b.slice(4), a.slice(4)) ?? 0);
  } catch {
    return [];
  }
}

interface Reader {
  read(...components: string[]): Promise<Buffer | undefined>;
  readonly refused: string[];
}

async function reader(root: string): Promise<Reader> {
  const refused: string[] = [];
  const c: Confinement | undefined = await confine(root).catch(() => undefined);
  return {
    refused,
    read: async (...components) => {
      if (!c) return undefined;
      try {
        return await readConfined(c, beneath(c, ...components), VERSION_SOURCE_MAX_BYTES);
      } catch (err) {
        if ((err as { cause?: NodeJS.ErrnoException }).cause?.code !== 'ENOENT') refused.push(errorMessage(err));
        return undefined;
      }
    },
  };
}

async function infoPlistVersion(r: Reader): Promise<{ version: string; path: string } | undefined> {
  for (const path of ['Contents/Info.plist', 'Info.plist']) {
    const info = await r.read(...path.split('/'));
    if (!info) continue;
    try {
      // The plist parser (and its XML parser) loads only for an app that has an Info.plist.
      const { parsePlistDict } = await import('../formats/plist/index.ts');
      const d = parsePlistDict(info, 'Info.plist');
      const v = typeof d.CFBundleShortVersionString === 'string' ? d.CFBundleShortVersionString : typeof d.CFBundleVersion === 'string' ? d.CFBundleVersion : undefined;
      if (v) return { version: v, path };
    } catch {
      // not a plist we can read: no version from it
    }
    return undefined;
  }
  return undefined;
}

/**
 * The main executable: the one the previous snapshot's version came from when it is still there (in a Squirrel
 * install, the same name in the newest folder) — so that a genuine signed program dropped beside it cannot take over
 * the app's version —, else a top-level .exe named like the folder, else the first with a version by name (never
 * Squirrel's Update.exe).
 */
function mainExecutable(root: string, records: ReadonlyMap<string, ModuleRecord>, folder: string, previous: string | undefined): [string, ModuleRecord] | undefined {
  const prefix = folder ? `${folder}/` : '';
  const exes = [...records.entries()]
    .filter(([p, r]) => p.startsWith(prefix) && !p.slice(prefix.length).includes('/') && r.module.format === 'pe' && r.module.kind === 'exe' && !SQUIRREL_UPDATER.test(basename(p)))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const before = previous && exes.find(([p]) => basename(p) === basename(previous));
  return before || (exes.find(([p]) => basename(p).toLowerCase().startsWith(basename(root).toLowerCase().slice(0, 4))) ?? exes.find(([, r]) => r.pe?.product_version ?? r.pe?.product_version_number));
}

/**
 * `records`: records of the executables at the top of the root and of the newest Squirrel folder, and the root's own
 * bundle record (path `./`) when the root is a bundle. `previousMain`: the executable the previous snapshot's version
 * came from, if any. `squirrel`: the app's Squirrel version folders that hold something, newest first (the scan's:
 * pipeline/judge-context.ts squirrelFoldersOf) — an empty folder newest by name is no version; without it, those on disk.
 */
export async function appVersion(root: string, records: ReadonlyMap<string, ModuleRecord>, override?: string, previousMain?: string, squirrel?: readonly string[]): Promise<AppVersion> {
  if (override) return { version: override, source: 'override', signed: true, candidates: [{ source: 'override', version: override, signed: true, path: '' }] };
  const r = await reader(root);
  const candidates: VersionCandidate[] = [];
  const info = await infoPlistVersion(r);
  if (info) {
    // The root's own bundle record (`./`): a trusted seal covers Info.plist (the CodeDirectory's info slot).
    const sealed = info.path === 'Contents/Info.plist' && records.get('./')?.code_signature.status === 'trusted';
    candidates.push({ source: sealed ? 'Info.plist (sealed)' : 'Info.plist', version: info.version, signed: sealed, path: info.path });
  }
  const [newest] = squirrel ?? (await squirrelFolders(root));
  if (newest) candidates.push({ source: 'squirrel', version: newest.slice(4), signed: false, path: newest });
  const yml = await r.read('resources', 'app-update.yml');
  const fromYml = yml && /^version:\s*['"]?([^'"\s]+)/m.exec(yml.toString('utf8'))?.[1];
  if (fromYml) candidates.push({ source: 'app-update.yml', version: fromYml, signed: false, path: 'resources/app-update.yml' });
  const pkg = await r.read('package.json');
  if (pkg) {
    try {
      const v = (JSON.parse(pkg.toString('utf8')) as { version?: unknown }).version;
      if (typeof v === 'string' && v) candidates.push({ source: 'package.json', version: v, signed: false, path: 'package.json' });
    } catch {
      // not JSON: no version from it
    }
  }
  // A main executable the previous version came from at the top of the root, still there, stays the source: a folder
  // named like a Squirrel release (in an app that is not one, or beside it) does not take the version over.
  const stayAtTop = previousMain !== undefined && !previousMain.includes('/') && records.has(previousMain);
  for (const folder of newest && !stayAtTop ? [newest, ''] : ['']) {
    const main = mainExecutable(root, records, folder, previousMain);
    const v = main?.[1].pe?.product_version ?? main?.[1].pe?.product_version_number;
    if (!main || !v) continue;
    const signed = main[1].code_signature.status === 'trusted';
    candidates.push({ source: `version resource of ${main[0]}${signed ? ' (signed)' : ''}`, version: v, signed, path: main[0] });
    break;
  }
  const refused = r.refused.length ? { refused: r.refused } : {};
  const best = candidates.find((c) => c.signed) ?? candidates[0];
  if (!best) return { version: undefined, source: 'unknown', signed: false, candidates: [], ...refused };
  return { version: best.version, source: best.source, signed: best.signed, candidates: [best, ...candidates.filter((c) => c !== best)], ...refused };
}
