// Loads Windows catalogs (.cat) from directories into one index. On Windows the default is CatRoot. Each catalog is
// read like everything else (confined.ts): inside its directory, no-follow, non-blocking, bounded.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage } from '../shared/errors.ts';
import { beneath, confine, readConfined } from './confined.ts';
import { CatalogIndex, parseCatalog, type CatalogVerifyContext } from '../verify/catalog/catalog.ts';

/** The largest catalog read (Windows' biggest, nt5.cat, is a few MB). */
export const CATALOG_MAX_BYTES = 64 * 1024 * 1024;

export function defaultCatalogDirs(): string[] {
  if (process.platform !== 'win32') return [];
  const root = process.env.SystemRoot ?? 'C:\\Windows';
  return [join(root, 'System32', 'CatRoot', '{F750E6C3-38EE-11D1-85E5-00C04FC295EE}')];
}

export async function loadCatalogs(dirs: readonly string[], ctx: CatalogVerifyContext, index = new CatalogIndex()): Promise<CatalogIndex> {
  for (const dir of dirs) {
    let names: string[];
    let c;
    try {
      c = await confine(dir);
      names = (await readdir(dir)).filter((n) => n.toLowerCase().endsWith('.cat')).sort();
    } catch (err) {
      index.errors.push(`${dir}: ${errorMessage(err)}`);
      continue;
    }
    for (const name of names) {
      const path = join(dir, name);
      try {
        index.add(parseCatalog(await readConfined(c, beneath(c, name), CATALOG_MAX_BYTES), path, ctx));
      } catch (err) {
        index.errors.push(`${path}: ${errorMessage(err)}`);
      }
    }
  }
  return index;
}
