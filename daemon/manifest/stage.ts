// The manifest stage as the pipeline runs it: read every manifest given for the app (files or URLs, the latter
// through a ManifestSource that keeps the last good copy), verify them, run the pure check (check.ts) over the app's
// files after this scan, and say which meta keys the commit must set (the accepted sequence; the manifests used).
import { type KeyObject } from 'node:crypto';
import { openSync, closeSync, readSync, fstatSync, constants, lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { bySeverityDesc } from '../detect/rules.ts';
import { type FileRow, type SnapshotRow, type Store, UNVERIFIED_STATUSES } from '../inventory/store/store.ts';
import { errorMessage, FormatError } from '../shared/errors.ts';
import { type Finding } from '../shared/findings.ts';
import { type AcceptedSequence, ManifestRejected, parseEnvelope, verifySignature } from './envelope.ts';
import { checkManifests, type CurrentFile } from './check.ts';
import type { ManifestSource, FetchOptions } from './fetch.ts';
import { APPX_SIGNATURE, BLOCK_MAP, type Manifest, type ManifestKind, type RejectedManifest } from './model.ts';
import { readOwnManifest } from './own.ts';
import { loadPublicKeys } from './keys.ts';
import type { FeedKind } from './vendor/feeds.ts';
import type * as Msix from './vendor/msix.ts';
import { beneath, confine, readConfined } from '../inventory/confined.ts';

export interface OwnManifestSpec {
  readonly kind: 'sealwatch';
  /** A file, or an https:// URL. */
  readonly location: string;
  readonly keys: readonly KeyObject[];
}

export interface FeedSpec {
  readonly kind: FeedKind;
  /** A file, an https:// URL, or `auto`: where the app itself says (Info.plist SUFeedURL, resources/app-update.yml). */
  readonly location: string;
}

export type ManifestSpec = OwnManifestSpec | FeedSpec;

export interface StageOptions extends FetchOptions {
  /**
   * `manifest.feed_hosts`: where a feed URL the app names itself (`auto`) may point (feed-hosts.ts). Absent: read
   * from the config at $SEALWATCH_CONFIG or the per-OS place when a feed is discovered (none there: nothing allowed).
   */
  readonly feedHosts?: readonly string[];
  /** Hosts the operator allowed for this run (`scan --feed-host`), besides the configured ones (when `feedHosts` is absent). */
  readonly extraFeedHosts?: readonly string[];
}

/** One line per manifest for the scan's report: used, for another version, or rejected. */
export interface ManifestUse {
  readonly name: string;
  readonly kind: ManifestKind;
  readonly state: 'used' | 'other-version' | 'rejected';
  readonly detail?: string;
  /** The copy came from the cache because the fetch failed. */
  readonly stale?: string;
}

export interface ManifestStageInput {
  readonly store: Store;
  readonly appId: number;
  readonly app: string;
  /** Snapshot root now (records are re-read relative to it). */
  readonly root: string;
  readonly previous: SnapshotRow | undefined;
  readonly version: string | undefined;
  /** This scan's fresh rows (a new iteration at each call) and removed paths. */
  readonly rows: () => Iterable<FileRow>;
  /** This scan's fresh row of one path: asked instead of iterating every row when given. */
  readonly row?: (path: string) => FileRow | undefined;
  readonly removed: readonly string[];
  readonly now: Date;
}

export interface ManifestStageResult {
  readonly findings: Finding[];
  readonly meta: Record<string, string>;
  readonly uses: readonly ManifestUse[];
}

const MAX_MANIFEST_FILE = 64 * 1024 * 1024;
const MODULE_FORMATS = new Set(['pe', 'macho', 'elf']);

export const sequenceKey = (app: string): string => `manifest_sequence:${app}`;
export const usedKey = (app: string): string => `manifests_used:${app}`;

/** A vendor feed names versions and installers: the bound a fetched one has (manifest/fetch.ts), local or not. */
const MAX_FEED_FILE = 16 * 1024 * 1024;

/** A manifest file, bounded, never through a FIFO or device. */
function readManifestFile(file: string, maxBytes = MAX_MANIFEST_FILE): Buffer {
  const fd = openSync(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new Error('not a regular file');
    if (st.size > maxBytes) throw new Error(`larger than ${maxBytes} bytes`);
    const buf = Buffer.alloc(st.size);
    let off = 0;
    while (off < buf.length) {
      const n = readSync(fd, buf, off, buf.length - off, off);
      if (n === 0) break;
      off += n;
    }
    return buf.subarray(0, off);
  } finally {
    closeSync(fd);
  }
}

const isDirectory = (p: string): boolean => {
  try {
    return lstatSync(p).isDirectory();
  } catch {
    return false;
  }
};

/**
 * A WinGet package's manifest directory as winget-pkgs lays it out (manifests/c/Contoso/Desktop/<version>/ with the
 * version, installer and locale files): every YAML file one and two levels down, as one YAML stream.
 */
function wingetDirectory(dir: string): Buffer {
  const files: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isFile() && /\.ya?ml$/i.test(e.name)) files.push(join(dir, e.name));
    else if (e.isDirectory()) for (const f of readdirSync(join(dir, e.name), { withFileTypes: true })) if (f.isFile() && /\.ya?ml$/i.test(f.name)) files.push(join(dir, e.name, f.name));
    if (files.length > 5000) throw new Error(`${dir}: more than 5000 manifest files`);
  }
  // Each file may start with a byte-order mark (editors on Windows write one): inside the joined stream it is not one.
  const parts = files.sort().map((f) => readManifestFile(f, MAX_FEED_FILE).toString('utf8').replace(/^\uFEFF/, ''));
  if (parts.reduce((n, p) => n + p.length, 0) > MAX_FEED_FILE) throw new Error(`${dir}: more than ${MAX_FEED_FILE} bytes of manifests`);
  return Buffer.from(parts.join('\n---\n'));
}

export class ManifestStage {
  private readonly specs: readonly ManifestSpec[];
  private readonly fetchOptions: FetchOptions;
  private feedHosts: readonly string[] | undefined;
  private readonly extraFeedHosts: readonly string[];
  private readonly sources = new Map<string, ManifestSource>();

  constructor(specs: readonly ManifestSpec[], options: StageOptions = {}) {
    this.specs = specs;
    const { feedHosts, extraFeedHosts, ...fetchOptions } = options;
    this.fetchOptions = fetchOptions;
    this.feedHosts = feedHosts;
    this.extraFeedHosts = extraFeedHosts ?? [];
  }

  /**
   * The stage for a configured app (`manifest:`, `manifest_keys:`), for the daemon: keep one per app so its URL
   * source keeps its last good copy between scans; a node-cron schedule may call `refresh()` on `urlSources()`.
   */
  static forApp(app: { readonly manifest?: string; readonly manifestKeys?: readonly string[] }, fetchOptions: FetchOptions = {}): ManifestStage {
    const keys = (app.manifestKeys ?? []).flatMap(loadPublicKeys);
    return new ManifestStage(app.manifest ? [{ kind: 'sealwatch', location: app.manifest, keys }] : [], fetchOptions);
  }

  /** The URL sources, for a schedule to refresh between scans. */
  async urlSources(): Promise<ManifestSource[]> {
    for (const s of this.specs) if (isUrl(s.location)) await this.source(s);
    return [...this.sources.values()];
  }

  /**
   * A discovered feed URL is checked before it is fetched, and so is every redirect and (direct connections) every
   * name lookup: its host must be on `manifest.feed_hosts` (feed-hosts.ts). `namedBy`: the app file that named it.
   */
  private async feedHostChecks(url: string, namedBy: string): Promise<Pick<FetchOptions, 'checkUrl' | 'lookup'>> {
    const { FeedHostPolicy, configuredFeedHosts } = await import('./feed-hosts.ts');
    this.feedHosts ??= [...this.extraFeedHosts, ...(await configuredFeedHosts())];
    const policy = new FeedHostPolicy(this.feedHosts, namedBy);
    await policy.check(new URL(url));
    return { checkUrl: policy.check, lookup: policy.lookup };
  }

  /** One source per URL. Only a copy that could be used becomes its last good copy: a signed manifest whose signature
   * verifies under the pinned keys, a feed that parses — never a captive portal's page or a tampered manifest. */
  private async source(spec: ManifestSpec, url = spec.location, checks: Pick<FetchOptions, 'checkUrl' | 'lookup'> = {}): Promise<ManifestSource> {
    let s = this.sources.get(url);
    if (!s) {
      // The HTTP client and the feed parsers load only for a URL (a scan without one never loads them: start-up).
      const [{ ManifestSource }, { readFeed }] = await Promise.all([import('./fetch.ts'), import('./vendor/feeds.ts')]);
      const validate = spec.kind === 'sealwatch' ? (b: Buffer) => void verifySignature(parseEnvelope(b.toString('utf8')), spec.keys) : (b: Buffer) => void readFeed(spec.kind, url, b);
      this.sources.set(url, (s = new ManifestSource(url, { ...this.fetchOptions, validate, ...checks })));
    }
    return s;
  }

  private async bytesOf(spec: ManifestSpec, location: string, now: Date, checks: Pick<FetchOptions, 'checkUrl' | 'lookup'> = {}): Promise<{ bytes: Buffer; stale?: string }> {
    if (!isUrl(location)) return { bytes: spec.kind === 'winget' && isDirectory(location) ? wingetDirectory(location) : readManifestFile(location, spec.kind === 'sealwatch' ? MAX_MANIFEST_FILE : MAX_FEED_FILE) };
    const r = await (await this.source(spec, location, checks)).refresh(now);
    return { bytes: r.copy.bytes, ...(r.state === 'stale' ? { stale: r.error ?? 'fetch failed' } : {}) };
  }

  async apply(findings: readonly Finding[], input: ManifestStageInput): Promise<ManifestStageResult> {
    const { store, app } = input;
    // Nothing given and no vendor manifest in the app: the stage costs nothing.
    const hasBlockMap = store.currentEntry(input.appId, BLOCK_MAP) !== undefined || (input.row ? input.row(BLOCK_MAP) !== undefined : some(input.rows(), (r) => r.path === BLOCK_MAP));
    // A bundle's seal only explains: it matters only when detect raised something on a path.
    const explaining = findings.some((f) => !f.explained && f.severity !== 'info');
    if (this.specs.length === 0 && !hasBlockMap && !explaining) return { findings: [...findings], meta: {}, uses: [] };
    const given = await this.readGiven(input);
    const { manifests, rejected, uses } = given;
    const usedBefore = new Set<string>(JSON.parse(store.meta(usedKey(app)) ?? '[]') as string[]);
    // Only manifests given or a block map judge every file; a bundle seal only vouches for the files it lists, so
    // then only those are read from the store (a 100,000-file app is not held in memory to explain one finding).
    const everyFile = this.specs.length > 0 || hasBlockMap;
    const all = everyFile ? currentFiles(input) : undefined;
    const baseline = input.previous === undefined;
    const versionMoved = input.previous !== undefined && (input.previous.version ?? undefined) !== input.version;
    if (all?.files.has(BLOCK_MAP)) {
      const msix = await loadMsix(input, all.records, (digest) => (p) => baseline || versionMoved || !usedBefore.has(digest) || all.changed.has(p));
      if ('strength' in msix) {
        manifests.push(msix);
        uses.push({ name: msix.name, kind: msix.kind, state: 'used' });
      } else {
        // Found in the app, not asked for: said once (baseline, a new version, the package signature or block map
        // changed), not on every rescan of a sideloaded package.
        if (baseline || versionMoved || all.changed.has(BLOCK_MAP) || all.changed.has(APPX_SIGNATURE)) rejected.push(msix);
        uses.push({ name: msix.name, kind: msix.kind, state: 'rejected', detail: `${msix.reason}: ${msix.message}` });
      }
    }
    if (explaining) {
      // The seal reader and its plist parser load only when there is a bundle to explain with.
      for (const b of all?.bundles ?? trustedBundles(input)) {
        const { readBundleSeal } = await import('./vendor/code-resources.ts');
        const seal = await readBundleSeal(input.root, b.path, store.record(b.recordId, input.root, b.path), (message) => uses.push({ name: b.path, kind: 'apple-coderesources', state: 'rejected', detail: message }));
        if (seal) manifests.push(seal);
      }
    }
    const meta: Record<string, string> = { [usedKey(app)]: JSON.stringify(manifests.filter((m) => !m.vouchOnly).map((m) => m.digest)) };
    if (given.accepted) meta[sequenceKey(app)] = JSON.stringify(given.accepted);
    const { files, records, changed } = all ?? currentFiles(input, new Set(manifests.flatMap((m) => (m.files ?? []).map((f) => f.path))));
    const judged = checkManifests(findings, { version: input.version, ...(manifests.some((m) => m.versionsAre) ? { bundleVersion: rootBundleVersion(input) } : {}), baseline, versionMoved, manifests, rejected, files, changed, usedBefore, digests: digestsOf(input, records) });
    return { findings: bySeverityDesc(judged), meta, uses };
  }

  /** The manifests and feeds given for the app (options or config), read and verified. */
  private async readGiven(input: ManifestStageInput): Promise<{ manifests: Manifest[]; rejected: RejectedManifest[]; uses: ManifestUse[]; accepted: AcceptedSequence | undefined }> {
    const lastRaw = input.store.meta(sequenceKey(input.app));
    const last = lastRaw ? (JSON.parse(lastRaw) as AcceptedSequence) : undefined;
    const out = { manifests: [] as Manifest[], rejected: [] as RejectedManifest[], uses: [] as ManifestUse[], accepted: undefined as AcceptedSequence | undefined };
    const refuse = (r: RejectedManifest, stale: { stale?: string } = {}): void => {
      out.rejected.push(r);
      out.uses.push({ name: r.name, kind: r.kind, state: 'rejected', detail: `${r.reason}: ${r.message}`, ...stale });
    };
    for (const spec of this.specs) {
      let got: { bytes: Buffer; stale?: string };
      let location = spec.location;
      let discovered: Readonly<Record<string, unknown>> | undefined;
      try {
        let checks: Pick<FetchOptions, 'checkUrl' | 'lookup'> = {};
        if (spec.kind !== 'sealwatch' && location === 'auto') {
          ({ location, facts: discovered } = await (await import('./vendor/discover.ts')).discoverFeed(spec.kind, input.root));
          checks = await this.feedHostChecks(location, String(discovered.feed_from ?? 'the app'));
        }
        got = await this.bytesOf(spec, location, input.now, checks);
      } catch (err) {
        // A fetched copy that failed validation says why (bad-signature, wrong-key, …); a feed host not allowed is
        // host-not-allowed (with the app file that named it and the host); anything else: unavailable.
        const host = await hostRefusal(err);
        refuse({ name: spec.location, kind: spec.kind, reason: host ? 'host-not-allowed' : (rejectionOf(err) ?? 'unavailable'), message: errorMessage(err), ...(host ? { facts: { feed_from: host.namedBy, feed_host: host.host, problem: host.problem } } : {}) });
        continue;
      }
      const stale = got.stale !== undefined ? { stale: got.stale } : {};
      if (spec.kind === 'sealwatch') {
        const o = readOwnManifest(spec.location, got.bytes, spec.keys, { app: input.app, version: input.version, now: input.now, last: out.accepted ?? last });
        if (o.state === 'rejected') refuse(o.rejected, stale);
        else if (o.state === 'other-version') out.uses.push({ name: o.name, kind: 'sealwatch', state: 'other-version', detail: `describes version ${o.version}, the app is at ${input.version ?? '(unknown)'}`, ...stale });
        else {
          out.manifests.push(o.manifest);
          out.accepted = { sequence: o.verified.sequence, digest: o.verified.digest };
          out.uses.push({ name: o.manifest.name, kind: 'sealwatch', state: 'used', ...stale });
        }
        continue;
      }
      try {
        const { readFeed } = await import('./vendor/feeds.ts');
        const feed = readFeed(spec.kind, location, got.bytes);
        const m = discovered ? { ...feed, facts: { ...feed.facts, ...discovered } } : feed;
        out.manifests.push(m);
        out.uses.push({ name: m.name, kind: m.kind, state: 'used', ...stale });
      } catch (err) {
        refuse({ name: spec.location, kind: spec.kind, reason: 'malformed', message: errorMessage(err) }, stale);
      }
    }
    return out;
  }
}

/** The FeedHostRefused behind a failure, if that is what it was (feed-hosts.ts loads only when it could be). */
async function hostRefusal(err: unknown): Promise<import('./feed-hosts.ts').FeedHostRefused | undefined> {
  if (!(err instanceof Error) || err.name !== 'FeedHostRefused') return undefined;
  const { FeedHostRefused } = await import('./feed-hosts.ts');
  return err instanceof FeedHostRefused ? err : undefined;
}

/** Image digests of a current file from its stored record, asked only where a manifest lists a file by them. */
function digestsOf(input: ManifestStageInput, records: ReadonlyMap<string, number>): (path: string) => { authentihash?: string; cdhash?: string } | undefined {
  return (path) => {
    const id = records.get(path);
    if (id === undefined) return undefined;
    const r = input.store.record(id, input.root, path);
    const cdhash = r.code_signature.cdhash ?? r.code_signature.signatures.find((s) => s.cdhash)?.cdhash;
    return { ...(r.pe?.authentihash.sha256 ? { authentihash: r.pe.authentihash.sha256 } : {}), ...(cdhash ? { cdhash: cdhash.toLowerCase() } : {}) };
  };
}

/** An installed MSIX package: its block map under its signature, checked file by file. */
async function loadMsix(input: ManifestStageInput, records: ReadonlyMap<string, number>, scope: (digest: string) => (path: string) => boolean): ReturnType<typeof Msix.readMsixInstall> {
  const { msixDigest, readMsixInstall } = await import('./vendor/msix.ts');
  const c = await confine(input.root);
  let blockMapBytes: Buffer;
  try {
    blockMapBytes = await readConfined(c, beneath(c, BLOCK_MAP), MAX_MANIFEST_FILE);
  } catch (err) {
    return { name: BLOCK_MAP, kind: 'msix-blockmap', reason: 'unavailable', message: errorMessage(err) };
  }
  const sigId = records.get(APPX_SIGNATURE);
  const signature = sigId !== undefined ? input.store.record(sigId, input.root, APPX_SIGNATURE) : undefined;
  return readMsixInstall({ root: input.root, signature, blockMapBytes, inScope: scope(msixDigest(blockMapBytes, signature)) });
}

function rejectionOf(err: unknown): ManifestRejected['reason'] | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof ManifestRejected) return e.reason;
    if (e instanceof FormatError) return 'malformed';
  }
  return undefined;
}

/** CFBundleVersion of the app's root bundle (its record at `./`, from this scan or the current snapshot). */
function rootBundleVersion(input: ManifestStageInput): string | undefined {
  let id: number | undefined;
  for (const r of input.store.currentBundles(input.appId)) if (r.path === './') id = r.record_id;
  const fresh = input.row ? input.row('./') : [...input.rows()].find((r) => r.path === './');
  if (fresh) id = fresh.format === 'bundle' ? fresh.record_id : undefined;
  return id === undefined ? undefined : input.store.record(id, input.root, './').bundle?.version;
}

/** The trusted bundles after this scan, as currentFiles() finds them, without reading every file. */
function trustedBundles(input: ManifestStageInput): Array<{ path: string; recordId: number }> {
  const bundles = new Map<string, number>();
  const put = (r: FileRow): void => {
    if (r.format === 'bundle' && r.status === 'trusted') bundles.set(r.path, r.record_id);
    else bundles.delete(r.path);
  };
  for (const r of input.store.currentBundles(input.appId)) put(r);
  for (const r of input.rows()) put(r);
  for (const p of input.removed) bundles.delete(p);
  return [...bundles].map(([path, recordId]) => ({ path, recordId }));
}

function some<T>(items: Iterable<T>, test: (item: T) => boolean): boolean {
  for (const item of items) if (test(item)) return true;
  return false;
}

const isUrl = (location: string): boolean => /^https?:\/\//i.test(location);

/**
 * The app's files after this scan: the stored current entries, this scan's rows over them, removed paths gone.
 * `only`: just these paths, looked up one by one.
 */
function currentFiles(input: ManifestStageInput, only?: ReadonlySet<string>): { files: Map<string, CurrentFile>; records: Map<string, number>; changed: Set<string>; bundles: Array<{ path: string; recordId: number }> } {
  const files = new Map<string, CurrentFile>();
  const bundleRows = new Map<string, number>();
  const records = new Map<string, number>();
  const changed = new Set<string>(input.removed);
  const put = (r: FileRow): void => {
    if (r.format === 'bundle' && r.status === 'trusted') bundleRows.set(r.path, r.record_id);
    else bundleRows.delete(r.path);
    if (UNVERIFIED_STATUSES.includes(r.status) || r.format === 'bundle' || r.sha256 === '') {
      files.delete(r.path);
      return;
    }
    files.set(r.path, { path: r.path, sha256: r.sha256, size: r.size, isModule: MODULE_FORMATS.has(r.format), signer: r.signer });
    records.set(r.path, r.record_id);
  };
  const stored = only ? [...only].map((p) => input.store.currentEntry(input.appId, p)).filter((r) => r !== undefined) : input.store.eachCurrentFile(input.appId);
  for (const r of stored) put(r);
  for (const r of input.rows()) {
    changed.add(r.path);
    if (!only || only.has(r.path)) put(r);
  }
  for (const p of input.removed) {
    files.delete(p);
    bundleRows.delete(p);
  }
  return { files, records, changed, bundles: [...bundleRows].map(([path, recordId]) => ({ path, recordId })) };
}
