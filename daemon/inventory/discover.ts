// Candidate vendor apps on this machine. Windows: the Uninstall keys of HKLM, WOW6432Node and every loaded user hive
// (via `reg query`, read-only) and %LOCALAPPDATA%\Programs; macOS: /Applications and ~/Applications bundles;
// Linux: /opt. A candidate is a suggestion for the config, never scanned by itself.
import { execFile } from 'node:child_process';
import { readdir, readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parsePlistDict } from '../formats/plist/index.ts';

export interface CandidateApp {
  readonly name: string;
  readonly root: string;
  readonly vendor?: string;
  readonly version?: string;
  readonly source: string;
}

const UNINSTALL = 'Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall';

/** `reg query KEY /s` output → one object per subkey with its string values. */
export function parseRegQuery(text: string): Array<{ key: string; values: Record<string, string> }> {
  const out: Array<{ key: string; values: Record<string, string> }> = [];
  let current: { key: string; values: Record<string, string> } | undefined;
  for (const raw of text.split(/\r?\n/)) {
    if (/^HKEY_/.test(raw)) {
      current = { key: raw.trim(), values: {} };
      out.push(current);
      continue;
    }
    const m = /^\s{4}(.+?)\s{4}(REG_SZ|REG_EXPAND_SZ)\s{4}(.*)$/.exec(raw);
    if (m && current) current.values[m[1] as string] = (m[3] as string).trim();
  }
  return out;
}

export function uninstallCandidates(text: string, source: string): CandidateApp[] {
  return parseRegQuery(text)
    .filter((e) => e.values.DisplayName && e.values.InstallLocation)
    .map((e) => ({
      name: e.values.DisplayName as string,
      root: (e.values.InstallLocation as string).replace(/^"|"$/g, ''),
      ...(e.values.Publisher ? { vendor: e.values.Publisher } : {}),
      ...(e.values.DisplayVersion ? { version: e.values.DisplayVersion } : {}),
      source,
    }));
}

async function dirs(path: string): Promise<string[]> {
  try {
    const entries = await readdir(path, { withFileTypes: true });
    return entries.filter((e) => e.isDirectory()).map((e) => join(path, e.name)).sort();
  } catch {
    return [];
  }
}

/** Directories under `parent` as candidates (Linux /opt, %LOCALAPPDATA%\Programs). */
export async function directoryCandidates(parent: string, source: string): Promise<CandidateApp[]> {
  return (await dirs(parent)).map((root) => ({ name: root.split(/[\\/]/).pop() as string, root, source }));
}

/** .app bundles under `parent`, with identity and version from their Info.plist. */
export async function macAppCandidates(parent: string, source: string): Promise<CandidateApp[]> {
  const out: CandidateApp[] = [];
  for (const root of (await dirs(parent)).filter((d) => d.endsWith('.app'))) {
    let version: string | undefined;
    let vendor: string | undefined;
    try {
      const info = parsePlistDict(await readFile(join(root, 'Contents', 'Info.plist')), 'Info.plist');
      if (typeof info.CFBundleShortVersionString === 'string') version = info.CFBundleShortVersionString;
      if (typeof info.CFBundleIdentifier === 'string') vendor = info.CFBundleIdentifier.split('.').slice(0, 2).join('.');
    } catch {
      // a bundle without a readable Info.plist is still a candidate
    }
    out.push({ name: (root.split('/').pop() as string).replace(/\.app$/, ''), root, ...(vendor ? { vendor } : {}), ...(version ? { version } : {}), source });
  }
  return out;
}

async function reg(args: string[]): Promise<string> {
  try {
    return (await promisify(execFile)('reg', args, { maxBuffer: 64 << 20, windowsHide: true })).stdout;
  } catch {
    return '';
  }
}

export async function discoverApps(platform: NodeJS.Platform = process.platform): Promise<CandidateApp[]> {
  if (platform === 'darwin') {
    return [...(await macAppCandidates('/Applications', '/Applications')), ...(await macAppCandidates(join(homedir(), 'Applications'), '~/Applications'))];
  }
  if (platform === 'win32') {
    const found: CandidateApp[] = [];
    found.push(...uninstallCandidates(await reg(['query', `HKLM\\${UNINSTALL}`, '/s']), 'HKLM'));
    found.push(...uninstallCandidates(await reg(['query', `HKLM\\Software\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Uninstall`, '/s']), 'HKLM WOW6432Node'));
    for (const sid of (await reg(['query', 'HKU'])).split(/\r?\n/).map((l) => l.trim()).filter((l) => /^HKEY_USERS\\S-1-5-21-[\d-]+$/.test(l))) {
      found.push(...uninstallCandidates(await reg(['query', `${sid}\\${UNINSTALL}`, '/s']), sid));
    }
    const local = process.env.LOCALAPPDATA;
    if (local) found.push(...(await directoryCandidates(join(local, 'Programs'), '%LOCALAPPDATA%\\Programs')));
    const exists = await Promise.all(found.map((c) => stat(c.root).then(() => true, () => false)));
    return found.filter((_, i) => exists[i]);
  }
  return directoryCandidates('/opt', '/opt');
}
