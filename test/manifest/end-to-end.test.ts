// Manifests end to end (issue 11), on real signed vendor binaries from the npm registry (test/corpus/REAL.md), a real
// SQLite history and real worker threads: a golden manifest made from a v1 tree by the scanner, signed with Ed25519
// under a pinned key, and v2 trees that it must judge — an extra DLL, the same DLL vouched for, the same DLL with a
// 3CX-style payload in its certificate table vouched for by authentihash, a file swapped for another validly signed
// one — and manifests that must not be used: tampered, expired, replayed, wrong key.
import test from 'ava';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { DEFAULT_TRUST_DIR } from '../../daemon/config/trust.ts';
import { InspectPool } from '../../daemon/inventory/pool.ts';
import { DEFAULT_MAX_FILE_BYTES } from '../../daemon/inventory/read.ts';
import { Store } from '../../daemon/inventory/store/store.ts';
import { signPayload, type ManifestPayload } from '../../daemon/manifest/envelope.ts';
import { generateManifest } from '../../daemon/manifest/generate.ts';
import { ManifestStage, sequenceKey } from '../../daemon/manifest/stage.ts';
import { scanApp, type ScanReport } from '../../daemon/pipeline/scan-app.ts';
import { hidePayloadInCertificateEntry } from '../../scripts/lib/pe-mutate.ts';
import { put } from '../../scripts/lib/three-cx.ts';
import { TEST_NOW } from '../helpers/inspect.ts';
import { realCorpusPath } from '../helpers/real-corpus.ts';
import { appDir } from '../helpers/scan.ts';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { tempDir } from '../helpers/temp.ts';

const APP = 'contoso';
const bytes = (id: string): Buffer => readFileSync(realCorpusPath(id));

/** v1: a Microsoft-signed exe and two Microsoft-signed DLLs, plus app data. */
function v1Tree(): string {
  const root = appDir();
  put(root, 'signtool.exe', bytes('signtool-x64'));
  put(root, 'vcruntime140.dll', bytes('vcruntime140'));
  put(root, 'conpty.dll', bytes('conpty'));
  put(root, 'resources/app.asar', 'console.log("contoso")');
  return root;
}

/** v2: v1 plus one more Microsoft-signed DLL (the real msalruntime.dll). */
function v2Tree(dll: Buffer = bytes('msalruntime')): string {
  const root = v1Tree();
  put(root, 'msalruntime.dll', dll);
  return root;
}

interface World {
  readonly store: Store;
  readonly pool: InspectPool;
  readonly key: KeyObject;
  readonly pub: KeyObject;
  tick: number;
  scan(root: string, version: string, manifests: readonly string[], keys?: readonly KeyObject[]): Promise<ScanReport>;
}

function world(): World {
  const dir = tempDir('sealwatch-man-');
  const store = Store.open(join(dir, 'sealwatch.db'));
  const pool = new InspectPool({ trustDirs: [DEFAULT_TRUST_DIR], catalogDirs: [], systemTrust: false, now: TEST_NOW.toISOString(), maxFileBytes: DEFAULT_MAX_FILE_BYTES }, 2);
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const w: World = {
    store,
    pool,
    key: privateKey,
    pub: publicKey,
    tick: 0,
    scan: (root, version, manifests, keys = [publicKey]) =>
      scanApp(store, pool, {
        app: APP,
        root,
        trigger: 'manual',
        now: new Date(TEST_NOW.getTime() + 60_000 * w.tick++),
        appVersion: version,
        manifests: new ManifestStage(manifests.map((location) => ({ kind: 'sealwatch' as const, location, keys }))),
      }),
  };
  return w;
}

async function close(w: World): Promise<void> {
  w.store.close();
  await w.pool.close();
}

/** A signed manifest file: the golden payload of `tree` as version `version`, edited by `edit`, signed with `key`. */
async function manifestFile(w: World, tree: string, version: string, sequence: number, options: { key?: KeyObject; expiresAt?: Date; edit?: (p: ManifestPayload) => ManifestPayload } = {}): Promise<string> {
  const golden = await generateManifest(tree, APP, version, w.pool);
  const payload = (options.edit ?? ((p) => p))({ ...golden, sequence, issued_at: new Date(TEST_NOW.getTime() - 3_600_000).toISOString(), expires_at: (options.expiresAt ?? new Date(TEST_NOW.getTime() + 90 * 86_400_000)).toISOString() });
  const file = join(tempDir('sealwatch-manifest-'), 'manifest.json');
  writeFileSync(file, JSON.stringify(signPayload(payload, options.key ?? w.key), null, 2));
  return file;
}

const manifestRules = (r: ScanReport): string[] => r.findings.filter((f) => /MANIFEST/.test(f.rule)).map((f) => `${f.rule} ${f.path ?? ''}`.trim());
const ruleAt = (r: ScanReport, rule: string, path?: string) => r.findings.find((f) => f.rule === rule && (path === undefined || f.path === path));

test('golden manifest of v1: a baseline that matches it raises no manifest finding; the accepted sequence is kept in the history', async (t) => {
  const w = world();
  try {
    const v1 = v1Tree();
    const golden = await generateManifest(v1, APP, '1.0.0', w.pool);
    t.deepEqual(golden.files.map((f) => f.path), ['conpty.dll', 'resources/app.asar', 'signtool.exe', 'vcruntime140.dll']);
    const vc = golden.files.find((f) => f.path === 'vcruntime140.dll');
    t.is(vc?.signer, 'org:Microsoft Corporation');
    t.regex(vc?.authentihash ?? '', /^[0-9a-f]{64}$/);
    t.is(vc?.format, 'pe');
    const m1 = await manifestFile(w, v1, '1.0.0', 1);
    const r = await w.scan(v1, '1.0.0', [m1]);
    t.deepEqual(manifestRules(r), []);
    t.is(r.manifests?.[0]?.state, 'used');
    t.deepEqual(JSON.parse(w.store.meta(sequenceKey(APP)) ?? '{}').sequence, 1);
  } finally {
    await close(w);
  }
});

test('v2 with one extra DLL, against a signed manifest that does not list it: NOT_IN_MANIFEST high', async (t) => {
  const w = world();
  try {
    const v1 = v1Tree();
    await w.scan(v1, '1.0.0', [await manifestFile(w, v1, '1.0.0', 1)]);
    // The manifest of version 2.0.0 lists v1's files only.
    const r = await w.scan(v2Tree(), '2.0.0', [await manifestFile(w, v1, '2.0.0', 2)]);
    const f = ruleAt(r, 'NOT_IN_MANIFEST', 'msalruntime.dll');
    t.is(f?.severity, 'high');
    t.false(f?.explained);
    t.regex(f?.message ?? '', /signed with a pinned key/);
    t.deepEqual(manifestRules(r), ['NOT_IN_MANIFEST msalruntime.dll']);
  } finally {
    await close(w);
  }
});

test('the same DLL listed in the signed manifest of v2: its NEW_MODULE finding is explained, naming the manifest', async (t) => {
  const w = world();
  try {
    const v1 = v1Tree();
    await w.scan(v1, '1.0.0', [await manifestFile(w, v1, '1.0.0', 1)]);
    const v2 = v2Tree();
    const m2 = await manifestFile(w, v2, '2.0.0', 2);
    // Without the manifest, the same update raises NEW_MODULE on the DLL (another history, same trees).
    const plain = world();
    try {
      await plain.scan(v1, '1.0.0', []);
      const unexplained = await plain.scan(v2, '2.0.0', []);
      t.true(['high', 'medium'].includes(ruleAt(unexplained, 'NEW_MODULE', 'msalruntime.dll')?.severity ?? ''), 'without a manifest the new DLL is a finding');
    } finally {
      await close(plain);
    }
    const r = await w.scan(v2, '2.0.0', [m2]);
    const f = ruleAt(r, 'NEW_MODULE', 'msalruntime.dll');
    t.true(f?.explained);
    t.is(f?.severity, 'info');
    t.truthy(f?.explained_by);
    t.true(f?.explained_by?.includes(m2));
    t.regex(f?.explained_by ?? '', /sequence 2, key [0-9a-f]{16}…\] \(signed with a pinned key\)/);
    t.deepEqual(manifestRules(r), []);
    t.false(r.findings.some((x) => !x.explained && x.severity !== 'info'), r.findings.filter((x) => x.severity !== 'info').map((x) => x.rule).join(','));
    // Stored as explained: not among the unexplained findings.
    t.false(w.store.findings({ app: APP, unexplained: true }).some((x) => x.path === 'msalruntime.dll'));
  } finally {
    await close(w);
  }
});

test('the same DLL with a payload in its certificate table, listed by its authentihash in a signed manifest: NEW_MODULE explained, UNAUTHENTICATED_DATA still critical', async (t) => {
  const w = world();
  try {
    const v1 = v1Tree();
    await w.scan(v1, '1.0.0', [await manifestFile(w, v1, '1.0.0', 1)]);
    const clean = bytes('msalruntime');
    const trojan = hidePayloadInCertificateEntry(clean, Buffer.concat([Buffer.from('feedface', 'hex'), Buffer.alloc(2048, 0x5a)]));
    // The manifest is made from the clean DLL, which has the same authentihash: it lists the DLL by authentihash only.
    const m2 = await manifestFile(w, v2Tree(clean), '2.0.0', 2, {
      edit: (p) => ({ ...p, files: p.files.map((f) => (f.path === 'msalruntime.dll' ? (({ sha256: _drop, ...rest }) => rest)(f) : f)) }),
    });
    const r = await w.scan(v2Tree(trojan), '2.0.0', [m2]);
    const hidden = ruleAt(r, 'UNAUTHENTICATED_DATA', 'msalruntime.dll');
    t.is(hidden?.severity, 'critical');
    t.false(hidden?.explained);
    t.is(hidden?.explained_by, undefined);
    t.true(ruleAt(r, 'NEW_MODULE', 'msalruntime.dll')?.explained, 'the manifest vouches for the image (authentihash) — not for what hides in the certificate table');
    t.regex(JSON.stringify(ruleAt(r, 'NEW_MODULE', 'msalruntime.dll')?.evidence), /authentihash \(the certificate table is not covered\)/);
    t.deepEqual(manifestRules(r), []);
    t.is(r.findings[0]?.rule, 'UNAUTHENTICATED_DATA', 'the most severe finding comes first');
  } finally {
    await close(w);
  }
});

test('a file swapped for another validly signed file: MANIFEST_MISMATCH critical, with expected and actual hashes', async (t) => {
  const w = world();
  try {
    const v1 = v1Tree();
    await w.scan(v1, '1.0.0', [await manifestFile(w, v1, '1.0.0', 1)]);
    const swapped = v1Tree();
    put(swapped, 'conpty.dll', bytes('vcruntime140')); // still signed by Microsoft, still "trusted"
    const m2 = await manifestFile(w, v1, '2.0.0', 2);
    const r = await w.scan(swapped, '2.0.0', [m2]);
    const f = ruleAt(r, 'MANIFEST_MISMATCH', 'conpty.dll');
    t.is(f?.severity, 'critical');
    t.false(f?.explained);
    const ev = f?.evidence as { expected?: string; actual?: string; expected_signer?: string };
    t.is(ev.expected, (await generateManifest(v1, APP, '2.0.0', w.pool)).files.find((x) => x.path === 'conpty.dll')?.sha256);
    t.not(ev.expected, ev.actual);
    t.is(ev.expected_signer, 'org:Microsoft Corporation');
    t.deepEqual(manifestRules(r), ['MANIFEST_MISMATCH conpty.dll']);
    // A later manifest that lists the swapped file as it is explains nothing already explained, and finds nothing.
    const again = await w.scan(swapped, '2.0.0', [await manifestFile(w, swapped, '2.0.0', 3)]);
    t.deepEqual(manifestRules(again), []);
  } finally {
    await close(w);
  }
});

test('a missing listed file: MISSING_FROM_MANIFEST medium', async (t) => {
  const w = world();
  try {
    const v1 = v1Tree();
    const m1 = await manifestFile(w, v1, '1.0.0', 1);
    const partial = v1Tree();
    rmSync(join(partial, 'vcruntime140.dll'));
    const r = await w.scan(partial, '1.0.0', [m1]);
    t.is(ruleAt(r, 'MISSING_FROM_MANIFEST', 'vcruntime140.dll')?.severity, 'medium');
  } finally {
    await close(w);
  }
});

test('manifests that must not be used — tampered, expired (frozen), wrong key, replayed, another app — are MANIFEST_INVALID high and judge nothing', async (t) => {
  const w = world();
  try {
    const v1 = v1Tree();
    await w.scan(v1, '1.0.0', [await manifestFile(w, v1, '1.0.0', 5)]);
    const v2 = v2Tree();
    const cases: Array<[string, string, RegExp]> = [];
    // Tampered: a hash edited after signing.
    const good = await manifestFile(w, v1, '2.0.0', 6);
    const tampered = JSON.parse(readFileSync(good, 'utf8')) as { payload: { files: Array<{ path: string; sha256?: string }> } };
    (tampered.payload.files[0] as { sha256?: string }).sha256 = '0'.repeat(64);
    const tamperedFile = `${good}.tampered.json`;
    writeFileSync(tamperedFile, JSON.stringify(tampered));
    cases.push(['tampered', tamperedFile, /bad-signature/]);
    cases.push(['expired', await manifestFile(w, v1, '2.0.0', 7, { expiresAt: new Date(TEST_NOW.getTime() - 1000) }), /expired/]);
    cases.push(['wrong key', await manifestFile(w, v1, '2.0.0', 8, { key: generateKeyPairSync('ed25519').privateKey }), /wrong-key/]);
    cases.push(['replayed', await manifestFile(w, v1, '2.0.0', 4), /replayed/]);
    cases.push(['another app', await manifestFile(w, v1, '2.0.0', 9, { edit: (p) => ({ ...p, app: 'other' }) }), /wrong-app/]);
    for (const [name, file, reason] of cases) {
      const fresh = world();
      try {
        // Each on a history that accepted sequence 5, scanning v2 with its extra DLL: the manifest would have said NOT_IN_MANIFEST.
        await fresh.scan(v1, '1.0.0', [await manifestFile(fresh, v1, '1.0.0', 5, { key: w.key })], [w.pub]);
        const r = await fresh.scan(v2, '2.0.0', [file], [w.pub]);
        const invalid = r.findings.filter((f) => f.rule === 'MANIFEST_INVALID');
        t.is(invalid.length, 1, name);
        t.is(invalid[0]?.severity, 'high', name);
        t.regex(invalid[0]?.message ?? '', reason, name);
        t.false(r.findings.some((f) => f.rule === 'NOT_IN_MANIFEST' || f.explained_by), `${name}: the manifest is not used`);
        t.is(r.manifests?.[0]?.state, 'rejected', name);
      } finally {
        await close(fresh);
      }
    }
  } finally {
    await close(w);
  }
});

test('replay protection remembers per app: the same manifest again is accepted, a different one under the same sequence is not', async (t) => {
  const w = world();
  try {
    const v1 = v1Tree();
    const m = await manifestFile(w, v1, '1.0.0', 10);
    await w.scan(v1, '1.0.0', [m]);
    const again = await w.scan(v1, '1.0.0', [m]);
    t.deepEqual(manifestRules(again), [], 'a rescan with the same manifest');
    const other = await manifestFile(w, v1, '1.0.0', 10, { edit: (p) => ({ ...p, generated_from: 'elsewhere' }) });
    const r = await w.scan(v1, '1.0.0', [other]);
    t.regex(ruleAt(r, 'MANIFEST_INVALID')?.message ?? '', /replayed: .*same sequence number/);
  } finally {
    await close(w);
  }
});

test('a signed manifest served over HTTP: used; then the server serves a tampered copy, then goes away — the last good copy is used, named stale; a first copy that is tampered is bad-signature', async (t) => {
  const http = await import('node:http');
  const w = world();
  const v1 = v1Tree();
  const good = readFileSync(await manifestFile(w, v1, '1.0.0', 1), 'utf8');
  let body = good;
  const srv = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(body));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(srv.address() as import('node:net').AddressInfo).port}/contoso.json`;
  const stage = new ManifestStage([{ kind: 'sealwatch', location: url, keys: [w.pub] }], { allowHttp: true, retries: 0, timeoutMs: 2000 });
  const scan = (root: string, s = stage): Promise<ScanReport> => scanApp(w.store, w.pool, { app: APP, root, trigger: 'manual', now: new Date(TEST_NOW.getTime() + 60_000 * w.tick++), appVersion: '1.0.0', manifests: s });
  try {
    const first = await scan(v1);
    t.is(first.manifests?.[0]?.state, 'used');
    t.is(first.manifests?.[0]?.stale, undefined);
    body = good.replace(/"sha256": "[0-9a-f]{64}"/, `"sha256": "${'0'.repeat(64)}"`);
    const tampered = await scan(v1);
    t.is(tampered.manifests?.[0]?.state, 'used');
    t.regex(tampered.manifests?.[0]?.stale ?? '', /not a valid manifest: the Ed25519 signature .* does not verify/);
    t.deepEqual(manifestRules(tampered), []);
    await new Promise((r) => srv.close(r));
    srv.closeAllConnections();
    const down = await scan(v1);
    t.is(down.manifests?.[0]?.state, 'used');
    t.truthy(down.manifests?.[0]?.stale);
    // A new stage (no copy yet) whose first answer is tampered: refused as what it is.
    body = good.replace('"1.0.0"', '"1.0.1"');
    const srv2 = http.createServer((_req, res) => res.writeHead(200).end(body));
    await new Promise<void>((r) => srv2.listen(0, '127.0.0.1', r));
    const url2 = `http://127.0.0.1:${(srv2.address() as import('node:net').AddressInfo).port}/contoso.json`;
    const fresh = await scan(v1, new ManifestStage([{ kind: 'sealwatch', location: url2, keys: [w.pub] }], { allowHttp: true, retries: 0 }));
    t.regex(ruleAt(fresh, 'MANIFEST_INVALID')?.message ?? '', /not used: bad-signature: /);
    await new Promise((r) => srv2.close(r));
  } finally {
    if (srv.listening) srv.close();
    await close(w);
  }
});

test('NOT_IN_MANIFEST at the policy\'s severity: the manifest stage runs before policy, so a policy override applies to it', async (t) => {
  const { loadPolicies } = await import('../../daemon/policy/load.ts');
  const dir = tempDir('sealwatch-policy-');
  writeFileSync(join(dir, 'contoso.yaml'), 'name: contoso-manifest-strict\ndescription: every module must be in the signed manifest\nmatch:\n  apps: ["contoso"]\nseverity:\n  NOT_IN_MANIFEST: critical\n');
  const { policies, problems } = loadPolicies([dir]);
  t.deepEqual(problems, []);
  const w = world();
  try {
    const v1 = v1Tree();
    await w.scan(v1, '1.0.0', [await manifestFile(w, v1, '1.0.0', 1)]);
    const r = await scanApp(w.store, w.pool, { app: APP, root: v2Tree(), trigger: 'manual', now: new Date(TEST_NOW.getTime() + 60_000 * w.tick++), appVersion: '2.0.0', policies, manifests: new ManifestStage([{ kind: 'sealwatch', location: await manifestFile(w, v1, '2.0.0', 2), keys: [w.pub] }]) });
    const f = ruleAt(r, 'NOT_IN_MANIFEST', 'msalruntime.dll');
    t.is(f?.severity, 'critical');
    t.like(f?.policy, { action: 'severity' });
  } finally {
    await close(w);
  }
});

test('the real DLL stripped and re-signed by someone else (osslsigncode): the same authentihash, but the manifest lists it for Microsoft — MANIFEST_MISMATCH critical', async (t) => {
  const { execFileSync } = await import('node:child_process');
  const dir = tempDir('sealwatch-resign-');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '3650', '-subj', '/CN=Not Microsoft/O=Not Microsoft', '-addext', 'extendedKeyUsage=codeSigning'], { stdio: 'ignore' });
  writeFileSync(join(dir, 'orig.dll'), bytes('msalruntime'));
  execFileSync('osslsigncode', ['remove-signature', '-in', join(dir, 'orig.dll'), '-out', join(dir, 'stripped.dll')], { stdio: 'ignore' });
  execFileSync('osslsigncode', ['sign', '-certs', join(dir, 'cert.pem'), '-key', join(dir, 'key.pem'), '-in', join(dir, 'stripped.dll'), '-out', join(dir, 'resigned.dll')], { stdio: 'ignore' });
  const resigned = readFileSync(join(dir, 'resigned.dll'));
  const w = world();
  try {
    const v1 = v1Tree();
    await w.scan(v1, '1.0.0', [await manifestFile(w, v1, '1.0.0', 1)]);
    // Listed by authentihash only (as a manifest written before signing would), for Microsoft.
    const m2 = await manifestFile(w, v2Tree(), '2.0.0', 2, { edit: (p) => ({ ...p, files: p.files.map((f) => (f.path === 'msalruntime.dll' ? (({ sha256: _drop, ...rest }) => rest)(f) : f)) }) });
    const r = await w.scan(v2Tree(resigned), '2.0.0', [m2]);
    const f = ruleAt(r, 'MANIFEST_MISMATCH', 'msalruntime.dll');
    t.is(f?.severity, 'critical');
    t.regex(f?.message ?? '', /authentihash matches, but signed by untrusted:org:Not Microsoft, not org:Microsoft Corporation/);
    t.false(ruleAt(r, 'NEW_MODULE', 'msalruntime.dll')?.explained);
  } finally {
    await close(w);
  }
});
