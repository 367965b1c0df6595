// What vendors already publish about their releases, read as manifests of strength 'feed': which versions exist, and
// the installer hashes for evidence. None of them lists the files of an install; none is signed in a way sealwatch can
// pin here (Sparkle's EdDSA signs the update archive, not the appcast). So a feed can only say "the vendor never
// published this version" (VERSION_UNKNOWN_TO_VENDOR) and never explains a change.
import { createHash } from 'node:crypto';
import { DOMParser, type Element } from '@xmldom/xmldom';
import { parseAllDocuments } from 'yaml';
import { FormatError } from '../../shared/errors.ts';
import { type Manifest } from '../model.ts';

export type FeedKind = 'electron-builder' | 'sparkle' | 'winget' | 'squirrel';

const digestOf = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

function fail(kind: FeedKind, location: string, why: string): FormatError {
  return new FormatError(kind, 'MALFORMED', `${location}: ${why}`);
}

/**
 * Every document of a YAML feed, its scalars as the text written: `PackageVersion: 1.10` or `version: 2.0` unquoted is
 * the version "1.10" / "2.0", never the number 1.1 / 2 (the failsafe schema reads no numbers or booleans).
 */
function yamlDocs(kind: FeedKind, location: string, bytes: Uint8Array): unknown[] {
  const docs = parseAllDocuments(Buffer.from(bytes).toString('utf8'), { uniqueKeys: true, schema: 'failsafe' });
  if (!Array.isArray(docs)) throw fail(kind, location, 'not YAML');
  const out: unknown[] = [];
  for (const d of docs) {
    const e = d.errors[0];
    if (e) throw fail(kind, location, `not valid YAML: ${e.message.split('\n')[0]}`);
    out.push(d.toJS({ maxAliasCount: 100 }) as unknown);
  }
  return out;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined);

/**
 * electron-builder `latest.yml` / `latest-mac.yml` / `latest-linux.yml` (the update info electron-updater reads):
 * `version`, `files[] {url, sha512, size}`, `path`, `sha512`, `releaseDate`. Only the newest version is named.
 * `app-update.yml` (the updater's settings inside the app) names no version; it is read for its publisherName and feed.
 */
export function readElectronBuilder(location: string, bytes: Uint8Array): Manifest {
  const [doc] = yamlDocs('electron-builder', location, bytes);
  if (!isRecord(doc)) throw fail('electron-builder', location, 'not a YAML mapping');
  const version = str(doc.version);
  const files = Array.isArray(doc.files) ? doc.files.filter(isRecord).map((f) => ({ url: str(f.url), sha512: str(f.sha512), size: /^\d{1,15}$/.test(str(f.size) ?? '') ? Number(f.size) : undefined })) : [];
  const publisherName = Array.isArray(doc.publisherName) ? doc.publisherName.map(str).filter(Boolean) : str(doc.publisherName) ? [str(doc.publisherName)] : [];
  if (!version && !doc.provider) throw fail('electron-builder', location, 'has neither `version` (latest*.yml) nor `provider` (app-update.yml)');
  const facts: Record<string, unknown> = {
    ...(files.length ? { installers: files.slice(0, 20) } : {}),
    ...(str(doc.path) ? { path: str(doc.path), sha512: str(doc.sha512) } : {}),
    ...(str(doc.releaseDate) ? { release_date: str(doc.releaseDate) } : {}),
    ...(publisherName.length ? { publisher_name: publisherName } : {}),
    ...(doc.provider ? { provider: str(doc.provider), feed: str(doc.url) ?? [str(doc.owner), str(doc.repo)].filter(Boolean).join('/') } : {}),
  };
  return { name: `${location} (electron-builder${version ? ` ${version}` : ' updater settings'})`, kind: 'electron-builder', strength: 'feed', ...(version ? { version, versions: [version], latestOnly: true } : {}), digest: digestOf(bytes), facts };
}

/**
 * Sparkle appcast (RSS 2.0 with the sparkle namespace): each `<item>` has `sparkle:version` (CFBundleVersion) and
 * `sparkle:shortVersionString`, as elements or as attributes of `<enclosure>` (older appcasts), and the archive's
 * `sparkle:edSignature` and length.
 */
export function readSparkle(location: string, bytes: Uint8Array): Manifest {
  const SPARKLE = 'http://www.andymatuschak.org/xml-namespaces/sparkle';
  const errors: string[] = [];
  let doc;
  try {
    doc = new DOMParser({ onError: (level: string, msg: string) => void (level !== 'warning' && errors.push(msg)) }).parseFromString(Buffer.from(bytes).toString('utf8'), 'text/xml');
  } catch (err) {
    throw fail('sparkle', location, `not an RSS appcast: ${(err as Error).message}`);
  }
  if (errors.length || !doc.documentElement || doc.documentElement.nodeName !== 'rss') throw fail('sparkle', location, `not an RSS appcast${errors.length ? `: ${errors[0]}` : ''}`);
  const items = Array.from(doc.getElementsByTagName('item'));
  const versions: string[] = [];
  const releases: Array<Record<string, string | undefined>> = [];
  let shortGiven = false;
  for (const item of items) {
    const enclosure = item.getElementsByTagName('enclosure')[0] as Element | undefined;
    const text = (local: string): string | undefined => {
      const el = item.getElementsByTagNameNS(SPARKLE, local)[0];
      return el?.textContent?.trim() || enclosure?.getAttributeNS(SPARKLE, local) || undefined;
    };
    const version = text('version');
    const short = text('shortVersionString');
    shortGiven ||= short !== undefined;
    for (const v of [short, version]) if (v && !versions.includes(v)) versions.push(v);
    releases.push({ version, short_version: short, url: enclosure?.getAttribute('url') ?? undefined, ed_signature: text('edSignature') });
  }
  if (versions.length === 0) throw fail('sparkle', location, 'no <item> names a sparkle:version');
  // Without any shortVersionString the versions are build numbers: compared with the app's CFBundleVersion, not its
  // short version (3.9.9 is below every build number 4150, and would pass as pruned).
  return { name: `${location} (Sparkle appcast, ${items.length} release(s))`, kind: 'sparkle', strength: 'feed', versions, ...(shortGiven ? {} : { versionsAre: 'bundle-version' as const }), digest: digestOf(bytes), facts: { releases: releases.slice(0, 20) } };
}

/** WinGet manifests (singleton, or version + installer documents, one file or a YAML stream): PackageVersion, InstallerSha256. */
export function readWinget(location: string, bytes: Uint8Array): Manifest {
  const docs = yamlDocs('winget', location, bytes).filter(isRecord);
  const versions: string[] = [];
  const installers: Array<Record<string, string | undefined>> = [];
  let id: string | undefined;
  for (const d of docs) {
    id ??= str(d.PackageIdentifier);
    const v = str(d.PackageVersion);
    if (v && !versions.includes(v)) versions.push(v);
    for (const i of Array.isArray(d.Installers) ? d.Installers.filter(isRecord) : []) {
      installers.push({ version: v, architecture: str(i.Architecture), url: str(i.InstallerUrl), sha256: str(i.InstallerSha256)?.toLowerCase() });
    }
  }
  if (!id || versions.length === 0) throw fail('winget', location, 'no PackageIdentifier and PackageVersion');
  return { name: `${location} (WinGet ${id})`, kind: 'winget', strength: 'feed', versions, digest: digestOf(bytes), facts: { package: id, installers: installers.slice(0, 20) } };
}

/**
 * Squirrel.Windows RELEASES: one line per package, `SHA1 FILENAME SIZE`, FILENAME `<id>-<version>-full|delta.nupkg`;
 * `#` starts a comment, as Squirrel's ReleaseEntry reads it (a staged rollout is written `SHA1 FILE SIZE # 10%`).
 */
export function readSquirrel(location: string, bytes: Uint8Array): Manifest {
  const text = Buffer.from(bytes).toString('utf8').replace(/^\uFEFF/, '');
  const versions: string[] = [];
  const packages: Array<{ sha1: string; file: string; size: number }> = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const entry = line.replace(/\s*#.*$/, '').trim();
    if (entry === '') return;
    const m = /^([0-9A-Fa-f]{40})\s+(\S+)\s+(\d+)$/.exec(entry);
    if (!m) throw fail('squirrel', location, `line ${i + 1} is not "SHA1 FILENAME SIZE"`);
    const file = decodeURIComponent((m[2] as string).split('/').pop() as string);
    const v = /-(\d+(?:\.\d+)*(?:-[0-9A-Za-z.]+)?)-(?:full|delta)\.nupkg$/i.exec(file)?.[1];
    if (!v) throw fail('squirrel', location, `line ${i + 1}: ${file} is not <id>-<version>-full|delta.nupkg`);
    if (!versions.includes(v)) versions.push(v);
    packages.push({ sha1: (m[1] as string).toLowerCase(), file, size: Number(m[3]) });
  });
  if (versions.length === 0) throw fail('squirrel', location, 'lists no package');
  return { name: `${location} (Squirrel RELEASES, ${versions.length} version(s))`, kind: 'squirrel', strength: 'feed', versions, digest: digestOf(bytes), facts: { packages: packages.slice(0, 20) } };
}

export function readFeed(kind: FeedKind, location: string, bytes: Uint8Array): Manifest {
  switch (kind) {
    case 'electron-builder':
      return readElectronBuilder(location, bytes);
    case 'sparkle':
      return readSparkle(location, bytes);
    case 'winget':
      return readWinget(location, bytes);
    case 'squirrel':
      return readSquirrel(location, bytes);
  }
}
