// Temp dirs for tests. Every test process makes its dirs under one directory of its own and removes it when it
// exits: a CI machine once filled its disk with the leftovers of earlier runs (61 GB under /tmp) and failed.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let processRoot: string | undefined;

/** A new empty directory (mode 0700), removed with everything in it when this test process exits. */
export function tempDir(prefix = 'sealwatch-'): string {
  processRoot ??= makeProcessRoot();
  return mkdtempSync(join(processRoot, prefix));
}

function makeProcessRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'sealwatch-test-'));
  // searchable by all, as /tmp is: tests that run a child as another user reach into dirs they opened up
  chmodSync(root, 0o755);
  process.once('exit', () => {
    try {
      rmSync(root, { recursive: true, force: true });
    } catch (err) {
      process.stderr.write(`test temp dir ${root} not removed: ${(err as Error).message}\n`);
    }
  });
  return root;
}
