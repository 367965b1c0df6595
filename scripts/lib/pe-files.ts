// Every PE this test suite knows: the shared corpus, the pinned vendor binaries and the synthetic fixtures.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isPe } from '../../daemon/formats/pe/index.ts';
import { readFileSync } from 'node:fs';
import { fixtureDir } from './fixtures.ts';
import { realCorpusEntries, realCorpusPath, sharedCorpus } from './real-corpus.ts';

export function allPeFiles(): string[] {
  const files = [
    ...readdirSync(join(sharedCorpus, 'pe')).map((f) => join(sharedCorpus, 'pe', f)),
    ...realCorpusEntries().map((e) => realCorpusPath(e.id)),
    ...readdirSync(join(fixtureDir(), 'pe')).filter((f) => /\.(exe|dll)$/.test(f)).map((f) => join(fixtureDir(), 'pe', f)),
  ];
  return files.filter((f) => isPe(readFileSync(f)));
}
