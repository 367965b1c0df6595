// Identical content in one scan (pool.ts ReuseHint): a file with the same size as an earlier one gets that file's
// record only when its SHA-256 is the same, always with its own file block; same size, other bytes: inspected itself.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ModuleRecord } from '../../daemon/shared/model.ts';
import { scanTree } from '../../daemon/inventory/scan.ts';
import { REUSE_MIN_BYTES } from '../../daemon/inventory/pool.ts';
import { sharedCorpus } from '../../scripts/lib/real-corpus.ts';
import { pool, tmp, tree } from './_fs.ts';

const signed = readFileSync(join(sharedCorpus, 'pe', 'signify-7z1900-x64_signed.exe'));

test('a copy reuses the record; a same-size file with other bytes is verified on its own', async (t) => {
  t.true(signed.length >= REUSE_MIN_BYTES, 'the sample is large enough to take part');
  const tampered = Uint8Array.from(signed);
  tampered[0x2000] = (tampered[0x2000] ?? 0) ^ 0xff; // inside the image: the Authenticode digest no longer matches
  const root = tmp();
  tree(root, { 'a/7z.exe': signed, 'b/7z-copy.exe': signed, 'c/7z-tampered.exe': tampered, 'd/7z-again.exe': signed });
  for (const size of [1, 2]) {
    const p = pool(undefined, size);
    try {
      const got = new Map<string, ModuleRecord>();
      await scanTree(root, new Map(), p, undefined, { onRecord: (f) => void got.set(f.path, f.record) });
      const [a, b, c, d] = ['a/7z.exe', 'b/7z-copy.exe', 'c/7z-tampered.exe', 'd/7z-again.exe'].map((k) => got.get(k));
      if (!a || !b || !c || !d) return t.fail(`records: ${[...got.keys()].join(', ')}`);
      t.true(a.code_signature.valid, 'the original signature verifies');
      for (const copy of [b, d]) {
        t.deepEqual({ ...copy, file: undefined }, { ...a, file: undefined }, 'the same verdict, signer, digests, imports');
        t.is(copy.file.hash.sha256, a.file.hash.sha256);
        t.not(copy.file.path, a.file.path, 'its own file block');
      }
      t.true(c.file.path.endsWith('7z-tampered.exe'));
      t.not(c.file.hash.sha256, a.file.hash.sha256);
      t.is(c.code_signature.status, 'invalid', `the tampered copy is judged itself (workers: ${size})`);
      t.not(c.pe?.authentihash.sha256, a.pe?.authentihash.sha256);
    } finally {
      await p.close();
    }
  }
});
