// scanTree's streaming option: records handed to the caller as they arrive are not also kept in the outcome, and a
// caller that cannot take a record ends the scan (it is not an unreadable file).
import test from 'ava';
import { join } from 'node:path';
import { type ModuleRecord } from '../../daemon/shared/model.ts';
import { scanTree } from '../../daemon/inventory/scan.ts';
import { pool, tmp, tree } from './_fs.ts';

test('onRecord: each fresh record goes to the caller once; the outcome keeps path and stat only', async (t) => {
  const root = tmp();
  const files: Record<string, string> = {};
  for (let i = 0; i < 40; i++) files[join('d', `f${i}.js`)] = `module.exports = ${i};`;
  tree(root, files);
  const p = pool();
  try {
    const got = new Map<string, ModuleRecord>();
    const out = await scanTree(root, new Map(), p, undefined, { onRecord: (f) => void got.set(f.path, f.record) });
    t.is(got.size, 40);
    t.is(out.files.length, 40);
    t.true(out.files.every((f) => f.streamed === true && f.record === undefined));
    t.is(out.read, 40);
    // A rescan with the stored stats reuses them and streams nothing.
    const previous = new Map(out.files.map((f, i) => [f.path, { stat: f.stat, recordId: i, sha256: got.get(f.path)?.file.hash.sha256 ?? '' }]));
    const again = await scanTree(root, previous, p, undefined, { onRecord: () => t.fail('nothing changed') });
    t.is(again.reused, 40);
    // A caller that cannot take a record (a store that failed) ends the scan with its error.
    await t.throwsAsync(
      scanTree(root, new Map(), p, undefined, {
        onRecord: () => {
          throw new Error('disk full');
        },
      }),
      { message: 'disk full' },
    );
  } finally {
    await p.close();
  }
});
