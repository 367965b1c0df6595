// A worker hashes data files without loading the parsers and verifiers (data-record.ts): its record must be exactly
// what the full inspection gives, and its unsigned block exactly what records.ts makes of no signature.
import test from 'ava';
import { dataRecord, isPlainData, UNSIGNED } from '../../daemon/inventory/data-record.ts';
import { inspectBytes } from '../../daemon/inventory/inspect-file.ts';
import { summarise } from '../../daemon/inventory/records.ts';
import { buildInspectContext } from '../../daemon/inventory/verification-context.ts';
import { DEFAULT_TRUST_DIR } from '../../daemon/config/trust-dir.ts';

test('the unsigned block is records.ts summarise of nothing', (t) => {
  t.deepEqual(UNSIGNED, summarise([], [], false, undefined));
});

test('a data file: the light record equals the full inspection, with and without --ioc-digests', async (t) => {
  const bytes = Buffer.from('module.exports = 42;\n');
  t.true(isPlainData(bytes));
  for (const iocDigests of [false, true]) {
    const ctx = await buildInspectContext({ trustDirs: [DEFAULT_TRUST_DIR], catalogDirs: [], systemTrust: false, iocDigests }, new Date('2026-11-01T00:00:00Z'));
    const facts = { path: '/app/x.js', size: bytes.length, mtime: new Date('2026-01-01T00:00:00Z') };
    t.deepEqual(dataRecord(facts, bytes, { iocDigests }), inspectBytes(facts, bytes, ctx));
  }
  t.false(isPlainData(Buffer.from('MZ\x90\x00')), 'a PE header is code');
});
