// An Apple bundle's CodeResources as the vendor's per-file list: a module that a new, trusted seal lists is explained
// by it (with the vendor's strength, naming the seal); one dropped in after signing breaks the seal and is not.
// Bundles built and signed here with the Developer-ID-shaped test PKI (scripts/fixtures), dylib from the Apple fixtures.
import test from 'ava';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ManifestStage } from '../../daemon/manifest/stage.ts';
import { scanApp, type ScanReport } from '../../daemon/pipeline/scan-app.ts';
import { buildAppBundle } from '../helpers/apple-bundle.ts';
import { loadIdentity, signMacho } from '../helpers/apple-signer.ts';
import { appleFixture } from '../helpers/fixtures.ts';
import { TEST_NOW } from '../helpers/inspect.ts';
import { appDir, harness, type ScanHarness } from '../helpers/scan.ts';

const scan = (h: ScanHarness, root: string, n: number): Promise<ScanReport> =>
  scanApp(h.store, h.pool, { app: 'contoso-mac', root, trigger: 'manual', now: new Date(TEST_NOW.getTime() + n * 60_000), manifests: new ManifestStage([]) });

test('a new dylib sealed by a trusted bundle signature: NEW_MODULE explained by the CodeResources; dropped in after signing: not explained, and the seal is broken', async (t) => {
  const vendor = await loadIdentity(appleFixture('pki/vendor.der'), appleFixture('pki/vendor.pk8'), [appleFixture('pki/devid-ca.der')]);
  const dylib = await signMacho(readFileSync(appleFixture('libffmpeg-arm64.dylib')), { identifier: 'com.contoso.libffmpeg', teamId: 'CONTOSO123', identity: vendor });
  const spec = { name: 'Contoso', identifier: 'com.contoso.desktop', teamId: 'CONTOSO123', identity: vendor, executable: readFileSync(appleFixture('app-main-arm64')) };
  const v1 = await buildAppBundle(appDir(), { ...spec, shortVersion: '1.0.0', resources: { 'Resources/app.asar': 'console.log(1)' } });
  const v2 = await buildAppBundle(appDir(), { ...spec, shortVersion: '1.1.0', resources: { 'Resources/app.asar': 'console.log(2)', 'Resources/codecs/libffmpeg.dylib': dylib } });
  const dropped = await buildAppBundle(appDir(), { ...spec, shortVersion: '1.1.0', resources: { 'Resources/app.asar': 'console.log(2)' } });
  copyFileSync(join(v2, 'Contents/Resources/codecs/libffmpeg.dylib'), join(dropped, 'Contents/Resources/libffmpeg.dylib'));

  const h = harness([appleFixture('trust')]);
  try {
    await scan(h, v1, 0);
    const r = await scan(h, v2, 1);
    const f = r.findings.find((x) => x.rule === 'NEW_MODULE' && x.path === 'Contents/Resources/codecs/libffmpeg.dylib');
    t.truthy(f, r.findings.map((x) => `${x.rule} ${x.path}`).join('; '));
    t.true(f?.explained);
    t.is(f?.severity, 'info');
    t.regex(f?.explained_by ?? '', /^Contents\/_CodeSignature\/CodeResources \(com\.contoso\.desktop, Team ID CONTOSO123\) \(signed by the vendor's code-signing identity\)$/);
    t.false(r.findings.some((x) => /MANIFEST/.test(x.rule)), 'a seal raises nothing of its own');
  } finally {
    await h.close();
  }
  const h2 = harness([appleFixture('trust')]);
  try {
    await scan(h2, v1, 0);
    const r = await scan(h2, dropped, 1);
    t.is(r.findings.find((x) => x.rule === 'SIGNATURE_INVALID' && x.path === './')?.severity, 'critical');
    const f = r.findings.find((x) => x.path === 'Contents/Resources/libffmpeg.dylib' && x.rule === 'NEW_MODULE');
    t.truthy(f);
    t.false(f?.explained, 'a broken seal vouches for nothing');
  } finally {
    await h2.close();
  }
});
