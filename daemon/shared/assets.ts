// One resolver for what sealwatch ships beside its code — package.json, config/ (schemas, trust roots), policies/ —
// and for its worker scripts, wherever the code runs: the sources (daemon/), the compiled dist/ (both two levels
// below the package root), or a single executable application (SEA), where they are embedded assets.
//
// In a SEA the assets are written once into a private directory (created 0700, owned by this user, each file checked
// against the SHA-256 recorded at build time on every start, rewritten when one differs; on Windows, when elevated,
// admin-only by its ACL: asset-guard.ts), so the readers that list directories and report file names and lines work
// unchanged. The SEA build (scripts/package/) writes the index.
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { getAsset, isSea } from 'node:sea';
import { assetDirRefusal, lockDown, windowsElevated } from './asset-guard.ts';
import { SealwatchError, errorMessage } from './errors.ts';

/** The SEA asset that lists every embedded file: { "files": { "config/x.json": "<sha256 hex>", … } }. */
export const ASSET_INDEX = 'sealwatch-assets.json';

let root: string | undefined;

/** The directory holding package.json, config/ and policies/. */
export function packageRoot(): string {
  root ??= isSea() ? unpackedAssets() : resolve(import.meta.dirname, '..', '..');
  return root;
}

/** A shipped file or directory: `assetPath('config', 'trust')`. */
export function assetPath(...parts: string[]): string {
  return join(packageRoot(), ...parts);
}

/**
 * How to start a worker thread: its module file beside this code, or — in a SEA, where a worker cannot load a path
 * inside the executable — the embedded, self-contained script of the same name, evaluated.
 */
export function workerScript(file: URL, asset: string): { readonly script: URL | string; readonly eval: boolean } {
  return isSea() ? { script: getAsset(asset, 'utf8'), eval: true } : { script: file, eval: false };
}

/** The argument that starts a SEA as one of its helper processes (scripts/package/sea-entry.ts reads it). */
export const ROLE_ARGUMENT = '--sealwatch-role=';

/**
 * What child_process.fork starts for a helper process: its module file, or — in a SEA, which runs its own embedded
 * entry whatever file it is given — the role argument that entry dispatches on.
 */
export function childModule(file: URL, role: string): URL | string {
  return isSea() ? `${ROLE_ARGUMENT}${role}` : file;
}

/** Where a SEA unpacks its assets: $SEALWATCH_ASSETS, else a per-OS cache directory (root's own as root). */
export function assetCacheDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.SEALWATCH_ASSETS) return env.SEALWATCH_ASSETS;
  const asRoot = process.getuid?.() === 0;
  if (platform === 'win32') return join(env.LOCALAPPDATA ?? env.ProgramData ?? 'C:\\ProgramData', 'sealwatch', 'assets');
  if (platform === 'darwin') return asRoot ? '/Library/Caches/sealwatch/assets' : join(homedir(), 'Library', 'Caches', 'sealwatch', 'assets');
  // systemd's CacheDirectory=sealwatch for the service.
  if (asRoot) return join(env.CACHE_DIRECTORY ?? '/var/cache/sealwatch', 'assets');
  return join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'sealwatch', 'assets');
}

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** A directory only this user (elevated on Windows: only admins) can write: anything else could plant trust roots or
 * policies. `tree`: everything in it too. */
function checkPrivate(dir: string, tree = false): void {
  const st = lstatSync(dir);
  if (!st.isDirectory() || st.isSymbolicLink()) throw new SealwatchError('CONFIG', `${dir}: not a directory (the single executable unpacks its assets there)`, { file: dir });
  if (process.platform === 'win32') {
    const why = assetDirRefusal(dir, tree);
    if (why) throw new SealwatchError('CONFIG', `asset directory ${dir}: refused: sealwatch runs elevated and non-admin users can change it: ${why} (set SEALWATCH_ASSETS to an admin-only directory)`, { file: dir });
    return;
  }
  if (st.uid !== process.getuid?.()) throw new SealwatchError('CONFIG', `${dir}: owned by uid ${st.uid}, not by this user: refusing to trust assets unpacked there`, { file: dir });
  if ((st.mode & 0o022) !== 0) throw new SealwatchError('CONFIG', `${dir}: writable by group or others (mode ${(st.mode & 0o777).toString(8)}): refusing to trust assets unpacked there`, { file: dir });
}

/** Every file the directory holds, relative to it, with `/` separators (the index's form). */
function filesIn(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => !e.isDirectory())
    .map((e) => relative(dir, join(e.parentPath, e.name)).split(sep).join('/'));
}

/** The directory holds exactly the indexed files with their recorded hashes: a planted extra file (a trust root, a
 * policy) would be read as shipped, so one makes the directory be written again. */
function matches(dir: string, files: Record<string, string>): boolean {
  try {
    checkPrivate(dir, true);
    if (filesIn(dir).some((rel) => !(rel in files))) return false;
    return Object.entries(files).every(([rel, hash]) => sha256(readFileSync(join(dir, rel))) === hash);
  } catch {
    return false;
  }
}

function unpackedAssets(): string {
  const indexText = getAsset(ASSET_INDEX, 'utf8');
  const { files } = JSON.parse(indexText) as { files: Record<string, string> };
  const base = assetCacheDir();
  const dir = join(base, sha256(Buffer.from(indexText)).slice(0, 16));
  try {
    const made = mkdirSync(base, { recursive: true, mode: 0o700 });
    // Windows ignores the mode: a folder made under ProgramData would inherit Users' right to add files to it. The
    // first folder made is locked (icacls passes the new inheritable entries down to the ones made inside it).
    if (made !== undefined && process.platform === 'win32' && windowsElevated()) lockDown(made);
    checkPrivate(base);
    if (matches(dir, files)) return dir;
    // Written beside, then renamed into place: a concurrent start (a scan process) never sees half a directory.
    const tmp = mkdtempSync(join(base, '.unpack-'));
    for (const [rel, hash] of Object.entries(files)) {
      const bytes = new Uint8Array(getAsset(rel));
      if (sha256(bytes) !== hash) throw new SealwatchError('INTERNAL', `embedded asset ${rel} does not match its recorded SHA-256: the executable is damaged`);
      mkdirSync(dirname(join(tmp, rel)), { recursive: true, mode: 0o700 });
      writeFileSync(join(tmp, rel), bytes, { mode: 0o600 });
    }
    rmSync(dir, { recursive: true, force: true });
    try {
      renameSync(tmp, dir);
    } catch (err) {
      rmSync(tmp, { recursive: true, force: true });
      if (!matches(dir, files)) throw err;
    }
    checkPrivate(dir, true);
    return dir;
  } catch (err) {
    if (err instanceof SealwatchError) throw err;
    throw new SealwatchError('IO', `cannot unpack the embedded assets into ${base}: ${errorMessage(err)} (set SEALWATCH_ASSETS to a private directory)`, { cause: err, file: base });
  }
}
