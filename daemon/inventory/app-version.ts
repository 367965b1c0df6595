// An app's version from the platform's own truth, in order: an explicit override; a macOS bundle's Info.plist;
// Squirrel's app-x.y.z folders; resources/app-update.yml or package.json beside the app; the main executable's
// version resource.
import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parsePlistDict } from '../formats/plist/index.ts';
import { type ModuleRecord } from '../shared/model.ts';

export interface AppVersion {
  readonly version: string | undefined;
  readonly source: string;
}

const numericDesc = (a: string, b: string): number => {
  const x = a.match(/\d+/g)?.map(Number) ?? [];
  const y = b.match(/\d+/g)?.map(Number) ?? [];
  for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (y[i] ?? 0) - (x[i] ?? 0);
  return 0;
};

async function tryRead(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch {
    return undefined;
  }
}

export async function appVersion(root: string, records: ReadonlyMap<string, ModuleRecord>, override?: string): Promise<AppVersion> {
  if (override) return { version: override, source: 'override' };
  const info = (await tryRead(join(root, 'Contents', 'Info.plist'))) ?? (await tryRead(join(root, 'Info.plist')));
  if (info) {
    try {
      const d = parsePlistDict(info, 'Info.plist');
      const v = typeof d.CFBundleShortVersionString === 'string' ? d.CFBundleShortVersionString : typeof d.CFBundleVersion === 'string' ? d.CFBundleVersion : undefined;
      if (v) return { version: v, source: 'Info.plist' };
    } catch {
      // fall through to the next source
    }
  }
  try {
    const squirrel = (await readdir(root)).filter((n) => /^app-\d+(\.\d+)*/.test(n)).sort((a, b) => numericDesc(a.slice(4), b.slice(4)));
    if (squirrel[0]) return { version: squirrel[0].slice(4), source: 'squirrel' };
  } catch {
    // not a directory we can list
  }
  const yml = await tryRead(join(root, 'resources', 'app-update.yml'));
  const fromYml = yml && /^version:\s*['"]?([^'"\s]+)/m.exec(yml.toString('utf8'))?.[1];
  if (fromYml) return { version: fromYml, source: 'app-update.yml' };
  const pkg = await tryRead(join(root, 'package.json'));
  if (pkg) {
    try {
      const v = (JSON.parse(pkg.toString('utf8')) as { version?: unknown }).version;
      if (typeof v === 'string') return { version: v, source: 'package.json' };
    } catch {
      // not JSON
    }
  }
  // The main executable: a top-level .exe named like the folder, else the first top-level .exe with a version.
  const exes = [...records.entries()].filter(([p, r]) => !p.includes('/') && r.module.format === 'pe' && r.module.kind === 'exe');
  const named = exes.find(([p]) => p.toLowerCase().startsWith(basename(root).toLowerCase().slice(0, 4))) ?? exes.find(([, r]) => r.pe?.product_version);
  const v = named?.[1].pe?.product_version ?? named?.[1].pe?.product_version_number;
  if (v) return { version: v, source: `version resource of ${named?.[0]}` };
  return { version: undefined, source: 'unknown' };
}
