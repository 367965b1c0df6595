// An MSIX package built here (block map per the AppX format, signed by osslsigncode 2.9, checked by `osslsigncode
// verify`), installed as Windows lays it out, then changed after install: every file is checked against the block map
// its AppxSignature.p7x signs. Real Microsoft-signed DLLs from the npm registry are its payload.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DEFAULT_TRUST_DIR } from '../../daemon/config/trust.ts';
import { InspectPool } from '../../daemon/inventory/pool.ts';
import { DEFAULT_MAX_FILE_BYTES } from '../../daemon/inventory/read.ts';
import { Store } from '../../daemon/inventory/store/store.ts';
import { ManifestStage } from '../../daemon/manifest/stage.ts';
import { parseAppxDigests, parseBlockMap } from '../../daemon/manifest/vendor/msix.ts';
import { scanApp, type ScanReport } from '../../daemon/pipeline/scan-app.ts';
import { TEST_NOW } from '../helpers/inspect.ts';
import { realCorpusPath } from '../helpers/real-corpus.ts';
import { tempDir } from '../helpers/temp.ts';

const BUILD = resolve(import.meta.dirname, 'msix', 'build-msix.sh');

/** Builds the package once: a DLL over 64 KiB (several blocks), another DLL, data, the AppX manifest. */
function buildPackage(): { install: string; trust: string; verify: string } {
  const dir = tempDir('sealwatch-msix-');
  const payload = join(dir, 'payload');
  mkdirSync(join(payload, 'lib'), { recursive: true });
  mkdirSync(join(payload, 'assets'), { recursive: true });
  cpSync(realCorpusPath('vcruntime140'), join(payload, 'lib', 'vcruntime140.dll'));
  cpSync(realCorpusPath('conpty'), join(payload, 'lib', 'conpty.dll'));
  writeFileSync(join(payload, 'assets', 'config.json'), JSON.stringify({ updateUrl: 'https://contoso.invalid/update', channel: 'stable' }));
  writeFileSync(
    join(payload, 'AppxManifest.xml'),
    '<?xml version="1.0" encoding="utf-8"?>\n<Package xmlns="http://schemas.microsoft.com/appx/manifest/foundation/windows10"><Identity Name="Contoso.Desktop" Publisher="CN=Contoso MSIX Publisher, O=Contoso Test Ltd, C=US" Version="1.0.0.0"/></Package>\n',
  );
  execFileSync('bash', [BUILD, payload, join(dir, 'out')], { stdio: ['ignore', 'pipe', 'pipe'] });
  return { install: join(dir, 'out', 'install'), trust: join(dir, 'out', 'trust'), verify: readFileSync(join(dir, 'out', 'verify.txt'), 'utf8') };
}

const pkg = buildPackage();

/** A copy of the installed package to change, and a history to scan it into. */
async function scanned(change: (root: string) => void, options: { trust?: boolean } = {}): Promise<{ base: ScanReport; after: ScanReport }> {
  const root = tempDir('sealwatch-msix-app-');
  cpSync(pkg.install, root, { recursive: true });
  const store = Store.open(join(tempDir('sealwatch-msix-db-'), 'sealwatch.db'));
  const pool = new InspectPool({ trustDirs: options.trust === false ? [DEFAULT_TRUST_DIR] : [DEFAULT_TRUST_DIR, pkg.trust], catalogDirs: [], systemTrust: false, now: TEST_NOW.toISOString(), maxFileBytes: DEFAULT_MAX_FILE_BYTES }, 2);
  try {
    const scan = (n: number): Promise<ScanReport> => scanApp(store, pool, { app: 'contoso-msix', root, trigger: 'manual', now: new Date(TEST_NOW.getTime() + n * 60_000), appVersion: '1.0.0', manifests: new ManifestStage([]) });
    const base = await scan(0);
    change(root);
    return { base, after: await scan(1) };
  } finally {
    store.close();
    await pool.close();
  }
}

const manifestFindings = (r: ScanReport): string[] => r.findings.filter((f) => /MANIFEST/.test(f.rule)).map((f) => `${f.rule} ${f.severity} ${f.path ?? ''}`.trim());

test('the package as built: osslsigncode verifies it; its block map parses with SHA-256 blocks; the signature signs the block map (AXBM)', (t) => {
  t.regex(pkg.verify, /Signature verification: ok/);
  const map = parseBlockMap(readFileSync(join(pkg.install, 'AppxBlockMap.xml')));
  t.is(map.hash.name, 'sha256');
  t.deepEqual(map.files.map((f) => f.path).sort(), ['AppxManifest.xml', 'assets/config.json', 'lib/conpty.dll', 'lib/vcruntime140.dll']);
  t.is(map.files.find((f) => f.path === 'lib/conpty.dll')?.blocks.length, 2, '109,600 bytes are two 64 KiB blocks');
  const p7x = readFileSync(join(pkg.install, 'AppxSignature.p7x'));
  t.is(p7x.subarray(0, 4).toString('latin1'), 'PKCX');
  t.throws(() => parseAppxDigests(Buffer.from('APPXAXBM'), 32), { message: /truncated/ });
});

test('installed and unchanged: the block map under a trusted package signature is used and raises nothing', async (t) => {
  const { base, after } = await scanned(() => undefined);
  t.deepEqual(manifestFindings(base), []);
  t.deepEqual(manifestFindings(after), []);
  t.is(base.manifests?.[0]?.state, 'used');
  t.is(base.manifests?.[0]?.kind, 'msix-blockmap');
});

test('a data file changed after install (nothing else would see it): MANIFEST_MISMATCH critical by the block map', async (t) => {
  // The same length: only a block hash can tell.
  const { after } = await scanned((root) => writeFileSync(join(root, 'assets', 'config.json'), JSON.stringify({ updateUrl: 'https://c0ntoso.invalid/update', channel: 'stable' })));
  t.deepEqual(manifestFindings(after), ['MANIFEST_MISMATCH critical assets/config.json']);
  t.regex(after.findings.find((f) => f.rule === 'MANIFEST_MISMATCH')?.message ?? '', /signed by the vendor's code-signing identity\) \(block map: block\(s\) 0 of 1 differ/);
});

test('a DLL swapped after install for another Microsoft-signed DLL: MANIFEST_MISMATCH critical (its own signature still verifies)', async (t) => {
  const { after } = await scanned((root) => cpSync(realCorpusPath('vcruntime140'), join(root, 'lib', 'conpty.dll')));
  t.deepEqual(manifestFindings(after), ['MANIFEST_MISMATCH critical lib/conpty.dll']);
  t.regex(after.findings.find((f) => f.rule === 'MANIFEST_MISMATCH')?.message ?? '', /size 87888, signed 109600/);
  t.false(after.findings.some((f) => f.rule === 'SIGNATURE_INVALID'));
});

test('a DLL dropped into the install: NOT_IN_MANIFEST high; a file deleted: MISSING_FROM_MANIFEST medium', async (t) => {
  const { after } = await scanned((root) => {
    cpSync(realCorpusPath('msalruntime'), join(root, 'lib', 'version.dll'));
    execFileSync('rm', [join(root, 'assets', 'config.json')]);
  });
  t.deepEqual(manifestFindings(after).sort(), ['MISSING_FROM_MANIFEST medium assets/config.json', 'NOT_IN_MANIFEST high lib/version.dll']);
});

test('a block map edited after signing, or a package signature not trusted: MANIFEST_INVALID, and the list is not used', async (t) => {
  const edited = await scanned((root) => {
    appendFileSync(join(root, 'AppxBlockMap.xml'), '\n');
    writeFileSync(join(root, 'assets', 'config.json'), '{}');
  });
  t.deepEqual(manifestFindings(edited.after), ['MANIFEST_INVALID high']);
  t.regex(edited.after.findings.find((f) => f.rule === 'MANIFEST_INVALID')?.message ?? '', /bad-signature: AppxBlockMap\.xml is not the one AppxSignature\.p7x signs/);
  const untrusted = await scanned(() => undefined, { trust: false });
  t.deepEqual(manifestFindings(untrusted.base), ['MANIFEST_INVALID high']);
  t.deepEqual(manifestFindings(untrusted.after), [], 'said on the baseline, not again on every rescan');
  t.is(untrusted.after.manifests?.[0]?.state, 'rejected');
  t.regex(untrusted.base.findings.find((f) => f.rule === 'MANIFEST_INVALID')?.message ?? '', /untrusted-signer: .*Contoso MSIX Publisher/);
});

test('block map parsing refuses what would be misread, one line of why each', (t) => {
  const NS = 'http://schemas.microsoft.com/appx/2010/blockmap';
  const SHA = 'http://www.w3.org/2001/04/xmlenc#sha256';
  const h = Buffer.alloc(32, 1).toString('base64');
  const map = (files: string, attrs = `xmlns="${NS}" HashMethod="${SHA}"`): Buffer => Buffer.from(`<?xml version="1.0"?><BlockMap ${attrs}>${files}</BlockMap>`);
  const cases: Array<[string, Buffer, RegExp]> = [
    ['a name that climbs out of the package', map(`<File Name="..\\evil.dll" Size="1" LfhSize="40"><Block Hash="${h}"/></File>`), /not a path inside the package/],
    ['an absolute name', map(`<File Name="C:\\Windows\\evil.dll" Size="1" LfhSize="40"><Block Hash="${h}"/></File>`), /not a path inside the package/],
    ['the same file twice, differing only in case (package paths are case-insensitive)', map(`<File Name="a.dll" Size="0" LfhSize="35"/><File Name="A.DLL" Size="0" LfhSize="35"/>`), /listed twice/],
    ['fewer blocks than the size needs (the rest of the file would be unchecked)', map(`<File Name="a.dll" Size="70000" LfhSize="35"><Block Hash="${h}"/></File>`), /1 blocks for 70000 bytes/],
    ['a hash of the wrong length', map(`<File Name="a.dll" Size="1" LfhSize="35"><Block Hash="AAAA"/></File>`), /not a SHA256 digest/],
    ['a size that is not a number', map(`<File Name="a.dll" Size="-1" LfhSize="35"/>`), /Size "-1" is not a size/],
    ['another namespace (not an AppX block map)', map('', `xmlns="urn:other" HashMethod="${SHA}"`), /not an AppX BlockMap/],
    ['an unknown hash method', map('', `xmlns="${NS}" HashMethod="http://www.w3.org/2000/09/xmldsig#sha1"`), /HashMethod .* is not SHA-256/],
    ['not XML', Buffer.from('<BlockMap'), /not well-formed XML|not an AppX BlockMap/],
  ];
  for (const [why, bytes, expected] of cases) t.throws(() => parseBlockMap(bytes), { message: expected }, why);
  t.is(parseBlockMap(map(`<File Name="dir\\a.dll" Size="0" LfhSize="39"/>`)).files[0]?.path, 'dir/a.dll', 'an empty file has no blocks');
});
