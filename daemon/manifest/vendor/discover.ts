// Where an app itself says its vendor's feed is (`--vendor-feed KIND=auto`): a macOS bundle's Info.plist names its
// Sparkle appcast (SUFeedURL) and the EdDSA key its updates are signed with (SUPublicEDKey); an Electron app's
// resources/app-update.yml names electron-updater's provider, from which the latest*.yml URL follows (electron-builder
// docs, "Auto Update": generic → <url>/latest.yml, github → releases/latest/download/latest.yml). Read under the app
// root only (confined, bounded): what the app says is a hint, never a trust anchor — the feed still only judges
// versions.
import { parse as parseYaml } from 'yaml';
import { beneath, confine, readConfined } from '../../inventory/confined.ts';
import { SealwatchError } from '../../shared/errors.ts';
import { parsePlistDict } from '../../formats/plist/index.ts';
import { type FeedKind } from './feeds.ts';

const MAX_SETTINGS_BYTES = 1024 * 1024;

export interface DiscoveredFeed {
  readonly location: string;
  /** Where the app said so, and what else it said (the updater's public key, publisher names). */
  readonly facts: Readonly<Record<string, unknown>>;
}

async function readUnder(root: string, rel: string): Promise<Buffer | undefined> {
  const c = await confine(root);
  try {
    return await readConfined(c, beneath(c, ...rel.split('/')), MAX_SETTINGS_BYTES);
  } catch {
    return undefined;
  }
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);

/**
 * Only a web address: a path the app names would be read as root, outside its root, by the file reader (a scanned
 * app choosing what sealwatch opens). ManifestSource still refuses plain http unless configured.
 */
export async function discoverFeed(kind: FeedKind, root: string): Promise<DiscoveredFeed> {
  const found = await discoverAnyFeed(kind, root);
  if (!/^https?:\/\//i.test(found.location)) throw new SealwatchError('CONFIG', `${root}: the app names its ${kind} feed as ${JSON.stringify(found.location)}, not an http(s) URL: refused (sealwatch reads no file an app points it to)`);
  return found;
}

async function discoverAnyFeed(kind: FeedKind, root: string): Promise<DiscoveredFeed> {
  if (kind === 'sparkle') {
    const bytes = await readUnder(root, 'Contents/Info.plist');
    const info = bytes ? parsePlistDict(bytes, 'Contents/Info.plist') : undefined;
    const url = str(info?.SUFeedURL);
    if (!url) throw new SealwatchError('CONFIG', `${root}: no Contents/Info.plist with SUFeedURL: the app names no Sparkle appcast`);
    return { location: url, facts: { feed_from: 'Contents/Info.plist SUFeedURL', ...(str(info?.SUPublicEDKey) ? { su_public_ed_key: str(info?.SUPublicEDKey) } : {}) } };
  }
  if (kind === 'electron-builder') {
    for (const [rel, file] of [['resources/app-update.yml', 'latest.yml'], ['Contents/Resources/app-update.yml', 'latest-mac.yml']] as const) {
      const bytes = await readUnder(root, rel);
      if (!bytes) continue;
      const doc = parseYaml(bytes.toString('utf8'), { maxAliasCount: 100 }) as Record<string, unknown> | null;
      const provider = str(doc?.provider);
      const base =
        provider === 'generic' ? str(doc?.url)?.replace(/\/+$/, '')
        : provider === 'github' && str(doc?.owner) && str(doc?.repo) ? `https://github.com/${str(doc?.owner)}/${str(doc?.repo)}/releases/latest/download`
        : undefined;
      if (!base) throw new SealwatchError('CONFIG', `${root}/${rel}: provider ${JSON.stringify(provider)} gives no feed URL sealwatch can derive (generic with url, or github with owner and repo)`);
      return { location: `${base}/${file}`, facts: { feed_from: rel, provider, ...(doc?.publisherName ? { publisher_name: doc.publisherName } : {}) } };
    }
    throw new SealwatchError('CONFIG', `${root}: no resources/app-update.yml: the app names no electron-updater feed`);
  }
  throw new SealwatchError('CONFIG', `--vendor-feed ${kind}=auto: only sparkle and electron-builder apps name their feed`);
}
