// Vendor feeds read as manifests, served by a real HTTP server on 127.0.0.1 in each format as its documentation
// gives it, with hashes computed from real vendor files (test/corpus/REAL.md) standing in for the installers:
// electron-builder latest.yml / latest-mac.yml / app-update.yml (electron.build "Auto Update"), a Sparkle appcast
// (sparkle-project.org "Publishing an update", both the element form and the older enclosure-attribute form), a WinGet
// singleton manifest (winget-pkgs schema 1.6.0), Squirrel.Windows RELEASES (Squirrel "Releases" docs). The installed
// version is judged against each: VERSION_UNKNOWN_TO_VENDOR when the vendor never published it.
import test from 'ava';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { DEFAULT_TRUST_DIR } from '../../daemon/config/trust.ts';
import { InspectPool } from '../../daemon/inventory/pool.ts';
import { DEFAULT_MAX_FILE_BYTES } from '../../daemon/inventory/read.ts';
import { Store } from '../../daemon/inventory/store/store.ts';
import { ManifestStage, type FeedSpec } from '../../daemon/manifest/stage.ts';
import { readElectronBuilder, readSparkle, readSquirrel, readWinget } from '../../daemon/manifest/vendor/feeds.ts';
import { scanApp, type ScanReport } from '../../daemon/pipeline/scan-app.ts';
import { put } from '../../scripts/lib/three-cx.ts';
import { TEST_NOW } from '../helpers/inspect.ts';
import { realCorpusPath } from '../helpers/real-corpus.ts';
import { appDir } from '../helpers/scan.ts';
import { tempDir } from '../helpers/temp.ts';

const installer = readFileSync(realCorpusPath('squirrel')); // a real vendor executable standing in for Setup.exe
const sha512 = createHash('sha512').update(installer).digest('base64');
const sha256 = createHash('sha256').update(installer).digest('hex').toUpperCase();
const sha1 = createHash('sha1').update(installer).digest('hex').toUpperCase();

const FEEDS: Record<string, string> = {
  '/latest.yml': `version: 18.12.416
files:
  - url: Contoso-Setup-18.12.416.exe
    sha512: ${sha512}
    size: ${installer.length}
path: Contoso-Setup-18.12.416.exe
sha512: ${sha512}
releaseDate: '2026-10-30T10:00:00.000Z'
`,
  '/latest-mac.yml': `version: 18.12.416
files:
  - url: Contoso-18.12.416-mac.zip
    sha512: ${sha512}
    size: ${installer.length}
  - url: Contoso-18.12.416.dmg
    sha512: ${sha512}
    size: ${installer.length}
path: Contoso-18.12.416-mac.zip
sha512: ${sha512}
releaseDate: '2026-10-30T10:00:00.000Z'
`,
  '/app-update.yml': `provider: generic
url: https://updates.contoso.invalid/desktop
publisherName:
  - Contoso Ltd
updaterCacheDirName: contoso-desktop-updater
`,
  '/appcast.xml': `<?xml version="1.0" standalone="yes"?>
<rss xmlns:sparkle="http://www.andymatuschak.org/xml-namespaces/sparkle" version="2.0">
  <channel>
    <title>Contoso</title>
    <item>
      <title>Version 18.12.416</title>
      <pubDate>Fri, 30 Oct 2026 10:00:00 +0000</pubDate>
      <sparkle:version>1812416</sparkle:version>
      <sparkle:shortVersionString>18.12.416</sparkle:shortVersionString>
      <sparkle:minimumSystemVersion>11.0</sparkle:minimumSystemVersion>
      <enclosure url="https://updates.contoso.invalid/Contoso-18.12.416.zip" length="${installer.length}" type="application/octet-stream" sparkle:edSignature="${createHash('sha512').update('sig').digest('base64')}"/>
    </item>
    <item>
      <title>Version 18.12.407</title>
      <pubDate>Mon, 14 Sep 2026 10:00:00 +0000</pubDate>
      <enclosure url="https://updates.contoso.invalid/Contoso-18.12.407.zip" sparkle:version="1812407" sparkle:shortVersionString="18.12.407" length="${installer.length}" type="application/octet-stream"/>
    </item>
  </channel>
</rss>
`,
  '/winget.yaml': `# yaml-language-server: $schema=https://aka.ms/winget-manifest.singleton.1.6.0.schema.json
PackageIdentifier: Contoso.Desktop
PackageVersion: 18.12.416
PackageLocale: en-US
Publisher: Contoso Ltd
PackageName: Contoso Desktop
License: Proprietary
ShortDescription: Contoso's desktop client
Installers:
  - Architecture: x64
    InstallerType: exe
    InstallerUrl: https://updates.contoso.invalid/Contoso-Setup-18.12.416.exe
    InstallerSha256: ${sha256}
ManifestType: singleton
ManifestVersion: 1.6.0
`,
  '/RELEASES': `${sha1} Contoso-18.12.407-full.nupkg ${installer.length}\r\n${sha1} Contoso-18.12.416-delta.nupkg 1024\r\n${sha1} Contoso-18.12.416-full.nupkg ${installer.length}\r\n`,
  '/broken.yml': 'version: [1, 2\n',
};

async function feedServer(): Promise<{ base: string; close(): Promise<void> }> {
  const s = http.createServer((req, res) => {
    const body = FEEDS[req.url ?? ''];
    if (body === undefined) return void res.writeHead(404).end();
    res.writeHead(200, { etag: `"${createHash('sha256').update(body).digest('hex').slice(0, 16)}"` }).end(body);
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return { base: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, close: () => new Promise<void>((r) => s.close(() => r())) };
}

/** Scans a small app (one real signed DLL) at `version` with one feed. */
async function scanWith(feed: FeedSpec, version: string): Promise<ScanReport> {
  const store = Store.open(join(tempDir('sealwatch-feed-'), 'sealwatch.db'));
  const pool = new InspectPool({ trustDirs: [DEFAULT_TRUST_DIR], catalogDirs: [], systemTrust: false, now: TEST_NOW.toISOString(), maxFileBytes: DEFAULT_MAX_FILE_BYTES }, 1);
  try {
    const root = appDir();
    put(root, 'conpty.dll', readFileSync(realCorpusPath('conpty')));
    return await scanApp(store, pool, { app: 'contoso', root, trigger: 'manual', now: TEST_NOW, appVersion: version, manifests: new ManifestStage([feed], { allowHttp: true, retries: 0 }) });
  } finally {
    store.close();
    await pool.close();
  }
}

const unknown = (r: ScanReport) => r.findings.filter((f) => f.rule === 'VERSION_UNKNOWN_TO_VENDOR');

test('each format parses to the versions and installer hashes it gives', (t) => {
  const latest = readElectronBuilder('latest.yml', Buffer.from(FEEDS['/latest.yml'] as string));
  t.deepEqual(latest.versions, ['18.12.416']);
  t.true(latest.latestOnly);
  t.is((latest.facts?.installers as Array<{ sha512: string }>)[0]?.sha512, sha512);
  const settings = readElectronBuilder('app-update.yml', Buffer.from(FEEDS['/app-update.yml'] as string));
  t.is(settings.versions, undefined, 'app-update.yml names no version');
  t.deepEqual(settings.facts?.publisher_name, ['Contoso Ltd']);
  t.is(settings.facts?.feed, 'https://updates.contoso.invalid/desktop');
  t.deepEqual(readSparkle('appcast.xml', Buffer.from(FEEDS['/appcast.xml'] as string)).versions, ['18.12.416', '1812416', '18.12.407', '1812407']);
  const winget = readWinget('winget.yaml', Buffer.from(FEEDS['/winget.yaml'] as string));
  t.deepEqual(winget.versions, ['18.12.416']);
  t.is((winget.facts?.installers as Array<{ sha256: string }>)[0]?.sha256, sha256.toLowerCase());
  const squirrel = readSquirrel('RELEASES', Buffer.from(FEEDS['/RELEASES'] as string));
  t.deepEqual(squirrel.versions, ['18.12.407', '18.12.416']);
  t.is((squirrel.facts?.packages as Array<{ sha1: string }>)[0]?.sha1, sha1.toLowerCase());
  t.throws(() => readSquirrel('RELEASES', Buffer.from('not a release line\n')), { message: /line 1 is not "SHA1 FILENAME SIZE"/ });
  t.throws(() => readSparkle('appcast.xml', Buffer.from('<html></html>')), { message: /not an RSS appcast/ });
  t.throws(() => readSparkle('appcast.xml', Buffer.from('<rss><channel>')), { message: /not an RSS appcast/ }, 'a truncated appcast is a typed error');
  t.throws(() => readWinget('w.yaml', Buffer.from('Foo: 1\n')), { message: /no PackageIdentifier and PackageVersion/ });
});

test('served over HTTP and judged in a scan: a version the vendor published passes, one it never published is VERSION_UNKNOWN_TO_VENDOR high', async (t) => {
  const srv = await feedServer();
  try {
    const cases: Array<[FeedSpec['kind'], string, string, boolean]> = [
      ['electron-builder', '/latest.yml', '18.12.416', false],
      ['electron-builder', '/latest.yml', '18.12.407', false], // older than the latest: latest.yml cannot tell
      ['electron-builder', '/latest.yml', '18.12.417', true],
      ['electron-builder', '/latest-mac.yml', '19.0.0', true],
      ['electron-builder', '/app-update.yml', '99.0.0', false], // settings only: no version to judge by
      ['sparkle', '/appcast.xml', '18.12.407', false],
      ['sparkle', '/appcast.xml', '18.12.410', true], // between two published releases
      ['sparkle', '/appcast.xml', '18.12.100', false], // older than every item: pruned history, not unknown
      ['winget', '/winget.yaml', '18.12.416', false],
      ['winget', '/winget.yaml', '18.13.0', true],
      ['squirrel', '/RELEASES', '18.12.416', false],
      ['squirrel', '/RELEASES', '18.12.415', true],
    ];
    for (const [kind, path, version, expected] of cases) {
      const r = await scanWith({ kind, location: `${srv.base}${path}` }, version);
      const f = unknown(r);
      t.is(f.length, expected ? 1 : 0, `${kind} ${path} at ${version}`);
      if (expected) {
        t.is(f[0]?.severity, 'high');
        t.regex(f[0]?.message ?? '', new RegExp(`version ${version.replace(/\./g, '\\.')} is .*the vendor's update feed`));
      }
      t.false(r.findings.some((x) => x.explained_by), 'a feed explains nothing');
    }
  } finally {
    await srv.close();
  }
});

test('a feed that does not parse, or cannot be fetched and has no good copy, is MANIFEST_INVALID high', async (t) => {
  const srv = await feedServer();
  try {
    const broken = await scanWith({ kind: 'electron-builder', location: `${srv.base}/broken.yml` }, '1.0.0');
    t.regex(broken.findings.find((f) => f.rule === 'MANIFEST_INVALID')?.message ?? '', /malformed: .*not valid YAML/);
    const gone = await scanWith({ kind: 'squirrel', location: `${srv.base}/missing/RELEASES` }, '1.0.0');
    t.regex(gone.findings.find((f) => f.rule === 'MANIFEST_INVALID')?.message ?? '', /unavailable: .*HTTP 404/);
    t.is(gone.findings.find((f) => f.rule === 'MANIFEST_INVALID')?.severity, 'high');
  } finally {
    await srv.close();
  }
});

test('auto: the feed the app itself names — SUFeedURL (with SUPublicEDKey) from a signed bundle\'s Info.plist, electron-updater\'s app-update.yml; plain http refused unless configured', async (t) => {
  const { buildAppBundle } = await import('../helpers/apple-bundle.ts');
  const { loadIdentity } = await import('../helpers/apple-signer.ts');
  const { appleFixture } = await import('../helpers/fixtures.ts');
  const srv = await feedServer();
  const store = Store.open(join(tempDir('sealwatch-feed-'), 'sealwatch.db'));
  const pool = new InspectPool({ trustDirs: [DEFAULT_TRUST_DIR, appleFixture('trust')], catalogDirs: [], systemTrust: false, now: TEST_NOW.toISOString(), maxFileBytes: DEFAULT_MAX_FILE_BYTES }, 1);
  try {
    const vendor = await loadIdentity(appleFixture('pki/vendor.der'), appleFixture('pki/vendor.pk8'), [appleFixture('pki/devid-ca.der')]);
    const edKey = Buffer.alloc(32, 7).toString('base64');
    const mac = await buildAppBundle(appDir(), {
      name: 'Contoso',
      identifier: 'com.contoso.desktop',
      teamId: 'CONTOSO123',
      identity: vendor,
      executable: readFileSync(appleFixture('app-main-arm64')),
      shortVersion: '18.12.410',
      info: { SUFeedURL: `${srv.base}/appcast.xml`, SUPublicEDKey: edKey },
    });
    const scan = (app: string, root: string, allowHttp: boolean, kind: FeedSpec['kind'], version?: string) =>
      scanApp(store, pool, { app, root, trigger: 'manual', now: TEST_NOW, ...(version ? { appVersion: version } : {}), manifests: new ManifestStage([{ kind, location: 'auto' }], { allowHttp, retries: 0, feedHosts: ['127.0.0.1'] }) });
    const r = await scan('contoso-mac', mac, true, 'sparkle');
    t.is(r.toVersion, '18.12.410', 'the version from the sealed Info.plist');
    const f = unknown(r)[0];
    t.is(f?.severity, 'high');
    t.like(f?.evidence.manifest as object, { feed_from: 'Contents/Info.plist SUFeedURL', su_public_ed_key: edKey });
    const refused = await scan('contoso-mac-2', mac, false, 'sparkle');
    t.regex(refused.findings.find((x) => x.rule === 'MANIFEST_INVALID')?.message ?? '', /unavailable: .*only https:\/\/ is fetched/);

    const win = appDir();
    put(win, 'conpty.dll', readFileSync(realCorpusPath('conpty')));
    put(win, 'resources/app-update.yml', `provider: generic\nurl: ${srv.base}/\npublisherName:\n  - Contoso Ltd\n`);
    const e = await scan('contoso-win', win, true, 'electron-builder', '18.12.417');
    t.like(unknown(e)[0]?.evidence.manifest as object, { feed_from: 'resources/app-update.yml', provider: 'generic', publisher_name: ['Contoso Ltd'] });
    // A path instead of a URL is never read: the app does not choose which file root opens.
    const outside = tempDir('sealwatch-outside-');
    writeFileSync(join(outside, 'latest.yml'), 'version: 1.0.0\n');
    const steered = appDir();
    put(steered, 'conpty.dll', readFileSync(realCorpusPath('conpty')));
    put(steered, 'resources/app-update.yml', `provider: generic\nurl: ${outside}\n`);
    const s = await scan('contoso-steered', steered, true, 'electron-builder', '18.12.417');
    t.regex(s.findings.find((x) => x.rule === 'MANIFEST_INVALID')?.message ?? '', /not an http\(s\) URL: refused/);
    t.is(unknown(s).length, 0, 'the file outside the root was not read as a feed');
    const none = await scan('contoso-none', appDir(), true, 'electron-builder', '1.0.0');
    t.regex(none.findings.find((x) => x.rule === 'MANIFEST_INVALID')?.message ?? '', /no resources\/app-update\.yml/);
  } finally {
    store.close();
    await pool.close();
    await srv.close();
  }
});

test('a WinGet package directory as winget-pkgs lays it out (version, installer and locale files per version): every version it holds', async (t) => {
  const { mkdirSync, writeFileSync } = await import('node:fs');
  const dir = join(tempDir('sealwatch-winget-'), 'manifests', 'c', 'Contoso', 'Desktop');
  for (const v of ['18.12.407', '18.12.416']) {
    mkdirSync(join(dir, v), { recursive: true });
    writeFileSync(join(dir, v, 'Contoso.Desktop.yaml'), `# yaml-language-server: $schema=https://aka.ms/winget-manifest.version.1.6.0.schema.json\nPackageIdentifier: Contoso.Desktop\nPackageVersion: ${v}\nDefaultLocale: en-US\nManifestType: version\nManifestVersion: 1.6.0\n`);
    writeFileSync(join(dir, v, 'Contoso.Desktop.installer.yaml'), `PackageIdentifier: Contoso.Desktop\nPackageVersion: ${v}\nInstallers:\n  - Architecture: x64\n    InstallerType: exe\n    InstallerUrl: https://updates.contoso.invalid/Contoso-Setup-${v}.exe\n    InstallerSha256: ${sha256}\nManifestType: installer\nManifestVersion: 1.6.0\n`);
    writeFileSync(join(dir, v, 'Contoso.Desktop.locale.en-US.yaml'), `PackageIdentifier: Contoso.Desktop\nPackageVersion: ${v}\nPackageLocale: en-US\nPublisher: Contoso Ltd\nPackageName: Contoso Desktop\nLicense: Proprietary\nShortDescription: Contoso's desktop client\nManifestType: defaultLocale\nManifestVersion: 1.6.0\n`);
  }
  t.is(unknown(await scanWith({ kind: 'winget', location: dir }, '18.12.407')).length, 0);
  const f = unknown(await scanWith({ kind: 'winget', location: dir }, '18.12.410'))[0];
  t.is(f?.severity, 'high');
  t.deepEqual((f?.evidence as { listed: string[] }).listed, ['18.12.407', '18.12.416']);
});

test('feeds as vendors write them: an unquoted two-part version (1.10) stays "1.10"; WinGet files that start with a byte-order mark; a staged Squirrel release (# 10%)', async (t) => {
  const winget = readWinget('w.yaml', Buffer.from('PackageIdentifier: Japplis.Watch\nPackageVersion: 1.10\nManifestType: singleton\n'));
  t.deepEqual(winget.versions, ['1.10'], 'not the number 1.1');
  t.is(readElectronBuilder('latest.yml', Buffer.from('version: 2.0\nfiles:\n  - url: a.exe\n    sha512: x\n    size: 1234\n')).version, '2.0');
  t.deepEqual((readElectronBuilder('latest.yml', Buffer.from('version: 2.0\nfiles:\n  - url: a.exe\n    sha512: x\n    size: 1234\n')).facts as { installers: Array<{ size?: number }> }).installers[0]?.size, 1234);
  const { mkdirSync, writeFileSync } = await import('node:fs');
  const dir = join(tempDir('sealwatch-winget-bom-'), 'Japplis', 'Watch');
  for (const v of ['1.9', '1.10']) {
    mkdirSync(join(dir, v), { recursive: true });
    writeFileSync(join(dir, v, 'Japplis.Watch.yaml'), `\uFEFFPackageIdentifier: Japplis.Watch\nPackageVersion: ${v}\nManifestType: version\nManifestVersion: 1.6.0\n`);
    writeFileSync(join(dir, v, 'Japplis.Watch.installer.yaml'), `\uFEFFPackageIdentifier: Japplis.Watch\nPackageVersion: ${v}\nInstallers:\n  - Architecture: x64\n    InstallerUrl: https://example.invalid/w-${v}.exe\n    InstallerSha256: ${'AB'.repeat(32)}\nManifestType: installer\nManifestVersion: 1.6.0\n`);
  }
  t.is(unknown(await scanWith({ kind: 'winget', location: dir }, '1.10')).length, 0, 'a published version, from files with a BOM');
  const staged = readSquirrel('RELEASES', Buffer.from(`${'a'.repeat(40)} Watch-1.9.0-full.nupkg 1231360\n# a comment line\n${'b'.repeat(40)} Watch-1.10.0-full.nupkg 1231361 # 10%\n`));
  t.deepEqual(staged.versions, ['1.9.0', '1.10.0']);
});

test('a Sparkle appcast that gives only build numbers (sparkle:version) is compared with the app\'s CFBundleVersion, not its short version', async (t) => {
  const { checkManifests } = await import('../../daemon/manifest/check.ts');
  const appcast = readSparkle('appcast.xml', Buffer.from(`<?xml version="1.0"?><rss xmlns:sparkle="http://www.andymatuschak.org/xml-namespaces/sparkle" version="2.0"><channel>
<item><title>4160</title><sparkle:version>4160</sparkle:version><enclosure url="https://example.invalid/a-4160.zip" length="1"/></item>
<item><title>4150</title><enclosure url="https://example.invalid/a-4150.zip" sparkle:version="4150" length="1"/></item>
</channel></rss>`));
  t.is(appcast.versionsAre, 'bundle-version');
  const judge = (version: string, bundleVersion: string) =>
    checkManifests([], { version, bundleVersion, baseline: true, versionMoved: false, manifests: [appcast], rejected: [], files: new Map(), changed: new Set(), usedBefore: new Set() }).map((f) => f.rule);
  t.deepEqual(judge('4.1.6', '4160'), [], 'a published build');
  t.deepEqual(judge('4.1.55', '4155'), ['VERSION_UNKNOWN_TO_VENDOR'], 'a build the vendor never published, whatever its short version');
  t.is(readSparkle('appcast.xml', Buffer.from(FEEDS['/appcast.xml'] as string)).versionsAre, undefined, 'an appcast with short versions is compared by them');
});
