// Loads Windows catalogs (.cat) from directories into one index. On Windows the default is CatRoot.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage } from '../shared/errors.ts';
import { CatalogIndex, parseCatalog, type CatalogVerifyContext } from '../verify/catalog/catalog.ts';

export function defaultCatalogDirs(): string[] {
  if (process.platform !== 'win32') return [];
  const root = process.env.SystemRoot ?? 'C:\\Windows';
  return [join(root, 'System32', 'CatRoot', '{F750E6C3-38EE-11D1-85E5-00C04FC295EE}')];
}

export async function loadCatalogs(dirs: readonly string[], ctx: CatalogVerifyContext, index = new CatalogIndex()): Promise<CatalogIndex> {
  for (const dir of dirs) {
    let names: string[];
    try {
      names = (await readdir(dir)).filter((n) => n.toLowerCase().endsWith('.cat')).sort();
    } catch (err) {
      index.errors.push(`${dir}: ${errorMessage(err)}`);
      continue;
    }
    for (const name of names) {
      const path = join(dir, name);
      try {
        index.add(parseCatalog(await readFile(path), path, ctx));
      } catch (err) {
        index.errors.push(`${path}: ${errorMessage(err)}`);
      }
    }
  }
  return index;
}
