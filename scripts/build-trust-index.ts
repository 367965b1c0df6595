#!/usr/bin/env node
// Writes config/trust/<dir>/trust-index.json for each shipped trust directory that has an authroot.stl: the
// program's roots (DER, subject, purposes) and the intermediates beside them, plus the SHA-256 of every file read.
// Run after updating authroot.stl or the certificate bundle; a test fails while the shipped index is stale.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_TRUST_DIR } from '../daemon/config/trust.ts';
import { buildTrustIndex, TRUST_INDEX_NAME } from '../daemon/config/trust-index-build.ts';

for (const name of ['microsoft']) {
  const dir = join(DEFAULT_TRUST_DIR, name);
  const index = buildTrustIndex(dir);
  writeFileSync(join(dir, TRUST_INDEX_NAME), `${JSON.stringify(index, null, 1)}\n`);
  console.log(`${dir}: ${index.roots.length} roots, ${index.intermediates.length} intermediates`);
}
