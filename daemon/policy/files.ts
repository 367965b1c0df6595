// Which files a policy path names: a file, or every *.yaml / *.yml directly in a directory (sorted). Subdirectories
// are not read: templates kept beside a policy set (policies/examples/) are not applied by accident.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export function policyFiles(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { withFileTypes: true })
    .filter((e) => e.isFile() && /\.ya?ml$/i.test(e.name))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}
