// The daemon refuses a history database in a directory non-admins can write (createDeps): they could replace the
// history — the baseline every change is judged against — or the manifest cache beside it. Real files, real modes.
import test from 'ava';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../daemon/config/config.ts';
import { createDeps } from '../../daemon/deps.ts';
import { SealwatchError } from '../../daemon/shared/errors.ts';
import { tempDir } from '../helpers/temp.ts';

test('a history database in a world-writable directory is refused before it is opened, naming the directory', (t) => {
  const dir = tempDir('sealwatch-deps-');
  const shared = join(dir, 'shared');
  mkdirSync(shared);
  chmodSync(shared, 0o777);
  const file = join(dir, 'sealwatch.yaml');
  writeFileSync(file, `apps:\n  - name: a\n    path: ${dir}\ndatabase: ${join(shared, 'sealwatch.db')}\nlog:\n  dir: ${join(dir, 'log')}\n  console: false\n`);
  const config = loadConfig(file, {}, { managed: {} });
  const err = t.throws(() => createDeps(config), { instanceOf: SealwatchError });
  t.regex(err?.message ?? '', /^history database directory .*shared: refused: non-admin users can change it: the directory .*shared is world-writable/);
});

test('a log directory non-admins can write is refused (a link put in place of sealwatch.log would make root write elsewhere), also when it is still to be made', (t) => {
  const dir = tempDir('sealwatch-deps-');
  const shared = join(dir, 'shared');
  mkdirSync(shared);
  chmodSync(shared, 0o777);
  const file = join(dir, 'sealwatch.yaml');
  for (const logDir of [shared, join(shared, 'not-yet')]) {
    writeFileSync(file, `apps:\n  - name: a\n    path: ${dir}\ndatabase: ${join(dir, 'sealwatch.db')}\nlog:\n  dir: ${logDir}\n  console: false\n`);
    const err = t.throws(() => createDeps(loadConfig(file, {}, { managed: {} })), { instanceOf: SealwatchError });
    t.regex(err?.message ?? '', /^log directory .*: refused: non-admin users can change it: .*shared is world-writable/);
  }
});
