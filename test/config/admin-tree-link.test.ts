// The admin-only tree check (shared/permissions.ts) when the directory given is itself a symbolic link to a
// directory: the loaders follow it (policyFiles, the trust and catalog loaders list through it), so everything
// beneath its target must be checked, not only the link and the way to the target. Real files, links and modes.
import test from 'ava';
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { treeWritableByNonAdmin } from '../../daemon/shared/permissions.ts';
import { tempDir } from '../helpers/temp.ts';

test('a trust directory given as a link to a folder is checked all the way down through the link', (t) => {
  const base = tempDir('sealwatch-tree-link-');
  const real = join(base, 'trust-real');
  mkdirSync(join(real, 'apple'), { recursive: true });
  writeFileSync(join(real, 'apple', 'root.pem'), 'x');
  const link = join(base, 'trust');
  symlinkSync(real, link);
  t.is(treeWritableByNonAdmin(link), undefined, 'admin-only all the way down: accepted');
  chmodSync(join(real, 'apple'), 0o777);
  t.regex(treeWritableByNonAdmin(real) ?? '', /the directory .*trust-real\/apple is world-writable/, 'given as its real path');
  t.regex(treeWritableByNonAdmin(link) ?? '', /the directory .*trust-real\/apple is world-writable/, 'given as the link: the same subfolder is found');
  chmodSync(join(real, 'apple'), 0o755);
  chmodSync(join(real, 'apple', 'root.pem'), 0o666);
  t.regex(treeWritableByNonAdmin(link) ?? '', /the file .*apple\/root\.pem is world-writable/);
});
