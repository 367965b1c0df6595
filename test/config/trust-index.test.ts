// The prebuilt trust index is only a faster way to read the same trust: it must be what the files give, and it must
// step aside when the files change.
import test from 'ava';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_TRUST_DIR, loadTrustStore, parseTrustDir } from '../../daemon/config/trust.ts';
import { buildTrustIndex } from '../../daemon/config/trust-index-build.ts';
import { policyToIndex, readTrustIndex, TRUST_INDEX_NAME } from '../../daemon/config/trust-index.ts';
import { tempDir } from '../helpers/temp.ts';

const microsoft = join(DEFAULT_TRUST_DIR, 'microsoft');

test('the shipped Microsoft trust index is exactly what authroot.stl and the bundle give (run scripts/build-trust-index.ts after an update)', (t) => {
  const shipped = JSON.parse(readFileSync(join(microsoft, TRUST_INDEX_NAME), 'utf8')) as unknown;
  t.deepEqual(shipped, JSON.parse(JSON.stringify(buildTrustIndex(microsoft))));
});

test('roots and policies read through the index equal those parsed from the files', (t) => {
  const parsed = parseTrustDir(microsoft);
  const index = readTrustIndex(microsoft);
  t.truthy(index);
  const fromFiles = new Map(parsed.roots.map((r) => [r.peek.sha256, JSON.stringify(policyToIndex(r.policy))]));
  const fromIndex = new Map(index?.roots.map((r) => [r.sha256, JSON.stringify(r.policy)]));
  t.is(fromIndex.size, 515);
  const sorted = (m: Map<string, string>) => [...m].sort(([a], [b]) => (a < b ? -1 : 1));
  t.deepEqual(sorted(fromIndex), sorted(fromFiles));
  // and a root's certificate, parsed lazily from the index, is the same certificate
  const store = loadTrustStore([microsoft]);
  const any = parsed.roots[0];
  t.is(store.byFingerprint(any?.peek.sha256 ?? '')?.certificate.sha256, any?.peek.sha256);
});

test('an index that no longer matches its files is ignored: the files are read', (t) => {
  const dir = join(tempDir('sealwatch-trust-'), 'microsoft');
  cpSync(microsoft, dir, { recursive: true });
  t.truthy(readTrustIndex(dir));
  const pem = readFileSync(join(dir, 'cacert.pem'), 'latin1');
  // drop the first certificate of the bundle: the index would still list it
  writeFileSync(join(dir, 'cacert.pem'), pem.slice(pem.indexOf('-----END CERTIFICATE-----') + 26));
  t.is(readTrustIndex(dir), undefined);
  t.is(loadTrustStore([dir]).size, 514);
});
