// An app's version from the platform's own truth, in order: an explicit override; a macOS bundle's Info.plist;
// Squirrel's app-x.y.z folders; resources/app-update.yml or package.json beside the app; the main executable's
// version resource. Every file is read with the scan's reader (confined.ts): under the root, no-follow,
// non-blocking, bounded — a `package.json` linked outside, a FIFO or `/dev/zero` gives no version, and says why.
import { readdir } from 'node:fs/promises';
import { basename } from 'node:path';
import { errorMessage } from '../shared/errors.ts';
import { type ModuleRecord } from '../shared/model.ts';
import { beneath, confine, readConfined, type Confinement } from './confined.ts';

/** A version source is a small text file: bounded well below a module. */
export const VERSION_SOURCE_MAX_BYTES = 4 * 1024 * 1024;

export interface AppVersion {
  readonly version: string | undefined;
  readonly source: string;
  /** Version sources that exist but were refused or could not be read, with the reason. */
  readonly refused?: readonly string[];
}

const numericDesc = (a: string, b: string): number => {
  const x = a.match(/\d+/g)?.map(Number) ?? [];
  const y = b.match(/\d+/g)?.map(Number) ?? [];
  for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (y[i] ?? 0) - (x[i] ?? 0);
  return 0;
};

export async function appVersion(root: string, records: ReadonlyMap<string, ModuleRecord>, override?: string): Promise<AppVersion> {
  if (override) return { version: override, source: 'override' };
  const refused: string[] = [];
  const c: Confinement | undefined = await confine(root).catch(() => undefined);
  const tryRead = async (...components: string[]): Promise<Buffer | undefined> => {
    if (!c) return undefined;
    try {
      return await readConfined(c, beneath(c, ...components), VERSION_SOURCE_MAX_BYTES);
    } catch (err) {
      if ((err as { cause?: NodeJS.ErrnoException }).cause?.code !== 'ENOENT') refused.push(errorMessage(err));
      return undefined;
    }
  };
  const found = (version: string, source: string): AppVersion => ({ version, source, ...(refused.length ? { refused } : {}) });
  const info = (await tryRead('Contents', 'Info.plist')) ?? (await tryRead('Info.plist'));
  if (info) {
    try {
      // The plist parser (and its XML parser) loads only for an app that has an Info.plist.
      const { parsePlistDict } = await import('../formats/plist/index.ts');
      const d = parsePlistDict(info, 'Info.plist');
      const v = typeof d.CFBundleShortVersionString === 'string' ? d.CFBundleShortVersionString : typeof d.CFBundleVersion === 'string' ? d.CFBundleVersion : undefined;
      if (v) return found(v, 'Info.plist');
    } catch {
      // fall through to the next source
    }
  }
  try {
    const squirrel = (await readdir(root)).filter((n) => /^app-\d+(\.\d+)*/.test(n)).sort((a, b) => numericDesc(a.slice(4), b.slice(4)));
    if (squirrel[0]) return found(squirrel[0].slice(4), 'squirrel');
  } catch {
    // not a directory we can list
  }
  const yml = await tryRead('resources', 'app-update.yml');
  const fromYml = yml && /^version:\s*['"]?([^'"\s]+)/m.exec(yml.toString('utf8'))?.[1];
  if (fromYml) return found(fromYml, 'app-update.yml');
  const pkg = await tryRead('package.json');
  if (pkg) {
    try {
      const v = (JSON.parse(pkg.toString('utf8')) as { version?: unknown }).version;
      if (typeof v === 'string') return found(v, 'package.json');
    } catch {
      // not JSON
    }
  }
  // The main executable: a top-level .exe named like the folder, else the first top-level .exe with a version.
  const exes = [...records.entries()].filter(([p, r]) => !p.includes('/') && r.module.format === 'pe' && r.module.kind === 'exe');
  const named = exes.find(([p]) => p.toLowerCase().startsWith(basename(root).toLowerCase().slice(0, 4))) ?? exes.find(([, r]) => r.pe?.product_version);
  const v = named?.[1].pe?.product_version ?? named?.[1].pe?.product_version_number;
  if (v) return found(v, `version resource of ${named?.[0]}`);
  return { version: undefined, source: 'unknown', ...(refused.length ? { refused } : {}) };
}
