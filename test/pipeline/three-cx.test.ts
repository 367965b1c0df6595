// A 3CX-shaped compromise built from real signed binaries and our signed fixtures: every module still carries a
// valid signature, and each change raises its rule with the documented severity.
import test from 'ava';
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { loadIdentity, signMacho } from '../helpers/apple-signer.ts';
import { appleFixture, peFixture, peFixtureTrustDir } from '../helpers/fixtures.ts';
import { realCorpusPath } from '../helpers/real-corpus.ts';
import { above, appDir, harness } from '../helpers/scan.ts';
import { put, writeThreeCxApp } from '../../scripts/lib/three-cx.ts';

async function threeCxApp(): Promise<{ v1: string; v2: string; trojanDylib: Buffer }> {
  const v1 = appDir();
  const v2 = appDir();
  const { trojanDylib } = await writeThreeCxApp(v1, v2);
  return { v1, v2, trojanDylib };
}

test('3CX-shaped update: hidden payload, same-version vendor DLL, new unsigned DLL, dylib with a new constructor — each caught', async (t) => {
  const h = harness([peFixtureTrustDir(), appleFixture('trust')]);
  try {
    const { v1, v2, trojanDylib } = await threeCxApp();
    const base = await h.scan('contoso', v1);
    t.deepEqual(base.findings.filter((f) => above(f.severity)), [], 'the baseline raises nothing');
    const update = await h.scan('contoso', v2);
    t.is(update.fromVersion, '18.12.407');
    t.is(update.toVersion, '18.12.416');
    const by = (rule: string, path: string) => update.findings.find((f) => f.rule === rule && f.path === path);

    const hidden = by('UNAUTHENTICATED_DATA', 'd3dcompiler_47.dll');
    t.is(hidden?.severity, 'critical');
    t.regex(hidden?.message ?? '', /FE ED FA CE/);
    t.false(update.findings.some((f) => f.rule === 'SIGNATURE_INVALID'), 'every signature is still valid');

    t.is(by('MODULE_CHANGED_SAME_VERSION', 'contoso.dll')?.severity, 'high');
    t.like(by('MODULE_CHANGED_SAME_VERSION', 'contoso.dll')?.evidence, { before: { version: '1.2.3.4' }, after: { version: '1.2.3.4' } });

    t.is(by('NEW_UNSIGNED_MODULE', 'ffmpeg.dll')?.severity, 'high');
    t.is(by('NEW_MODULE', 'ffmpeg.dll'), undefined, 'an unsigned new module is reported once (issue 9 §5)');

    const caps = by('NEW_CAPABILITIES', 'Frameworks/libffmpeg.dylib');
    t.is(caps?.severity, 'medium');
    t.regex(caps?.message ?? '', /constructors 0 → 1/);
    t.regex(caps?.message ?? '', /popen/);
    t.is(by('MODULE_CHANGED_SAME_VERSION', 'Frameworks/libffmpeg.dylib')?.severity, 'high', 'LC_ID_DYLIB 4.2.1 did not move');
    t.false(update.findings.some((f) => f.rule === 'SIGNER_CHANGED' && f.severity === 'critical'), 'same Team ID: no signer change');

    // "Were we ever hit, and since when?"
    const sha = createHash('sha256').update(trojanDylib).digest('hex');
    const [hit] = h.store.ioc(sha);
    t.like(hit, { app: 'contoso', path: 'Frameworks/libffmpeg.dylib', first_version: '18.12.416', last_version: '18.12.416', still_present: 1 });

    // The next (clean) update removes it: the sighting stays in history, no longer present.
    put(v2, 'Frameworks/libffmpeg.dylib', await signMacho(readFileSync(appleFixture('libffmpeg-arm64.dylib')), { identifier: 'com.contoso.libffmpeg', teamId: 'CONTOSO123', identity: await loadIdentity(appleFixture('pki/vendor.der'), appleFixture('pki/vendor.pk8'), [appleFixture('pki/devid-ca.der')]) }));
    put(v2, 'package.json', JSON.stringify({ name: 'contoso-desktop', version: '18.12.420' }));
    await h.scan('contoso', v2);
    t.like(h.store.ioc(sha)[0], { first_version: '18.12.416', last_version: '18.12.416', still_present: 0 });
  } finally {
    await h.close();
  }
});

test('a module changed while the app version did not → OUT_OF_BAND_CHANGE; a version going backwards → DOWNGRADE', async (t) => {
  const h = harness([peFixtureTrustDir()]);
  try {
    const root = appDir();
    put(root, 'contoso.dll', readFileSync(peFixture('vendor-signed.dll')));
    await h.scan('contoso', root, { appVersion: '2.0.0' });
    put(root, 'contoso.dll', readFileSync(peFixture('vendor-trojan-signed.dll')));
    const same = await h.scan('contoso', root, { appVersion: '2.0.0' });
    t.is(same.findings.find((f) => f.rule === 'OUT_OF_BAND_CHANGE')?.severity, 'high');
    const down = await h.scan('contoso', root, { appVersion: '1.9.0' });
    t.is(down.findings.find((f) => f.rule === 'DOWNGRADE')?.severity, 'high');
  } finally {
    await h.close();
  }
});

test('a new signer organisation on an existing module → SIGNER_CHANGED critical; code behind a data name → TYPE_MISMATCH', async (t) => {
  const h = harness([peFixtureTrustDir()]);
  try {
    const root = appDir();
    put(root, 'contoso.dll', readFileSync(peFixture('vendor-signed.dll')));
    await h.scan('contoso', root, { appVersion: '1.0.0' });
    put(root, 'contoso.dll', readFileSync(realCorpusPath('conpty'))); // now signed by Microsoft, not Contoso
    copyFileSync(appleFixture('app-main-arm64'), join(root, 'README.rtf'));
    const r = await h.scan('contoso', root, { appVersion: '1.1.0' });
    const signer = r.findings.find((f) => f.rule === 'SIGNER_CHANGED');
    t.is(signer?.severity, 'critical');
    t.regex(signer?.message ?? '', /org:Contoso Test Ltd to org:Microsoft Corporation/);
    t.is(r.findings.find((f) => f.rule === 'TYPE_MISMATCH' && f.path === 'README.rtf')?.severity, 'high');
    rmSync(join(root, 'README.rtf'));
  } finally {
    await h.close();
  }
});

test('a macOS app as the scanned root: its seal is checked on each scan that changed it; a file added to the sealed bundle → SIGNATURE_INVALID', async (t) => {
  const { buildAppBundle } = await import('../helpers/apple-bundle.ts');
  const vendor = await loadIdentity(appleFixture('pki/vendor.der'), appleFixture('pki/vendor.pk8'), [appleFixture('pki/devid-ca.der')]);
  const h = harness([appleFixture('trust')]);
  try {
    const app = await buildAppBundle(appDir(), { name: 'Contoso', identifier: 'com.contoso.desktop', teamId: 'CONTOSO123', identity: vendor, executable: readFileSync(appleFixture('app-main-arm64')), shortVersion: '18.12.416', resources: { 'Resources/app.asar': 'console.log(1)' } });
    const base = await h.scan('contoso-mac', app);
    t.is(base.toVersion, '18.12.416', 'version from Info.plist');
    const bundleRow = h.store.files(base.snapshotId).find((f) => f.path === './');
    t.like(bundleRow, { format: 'bundle', status: 'trusted' });
    const again = await h.scan('contoso-mac', app);
    t.is(again.read, 0, 'nothing changed: neither the files nor the bundle are read');
    writeFileSync(join(app, 'Contents', 'Resources', 'payload.js'), 'require("child_process").exec("curl …")');
    const tampered = await h.scan('contoso-mac', app);
    const f = tampered.findings.find((x) => x.rule === 'SIGNATURE_INVALID' && x.path === './');
    t.is(f?.severity, 'critical');
    t.regex(f?.message ?? '', /BUNDLE_FILE_ADDED/);
  } finally {
    await h.close();
  }
});
