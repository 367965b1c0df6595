// `sealwatch manifest keygen|generate|sign|verify` (issue 11): sealwatch's own signed release manifests.
//   keygen --out DIR                        DIR/manifest.key (PKCS#8 PEM, 0600), DIR/manifest.pub (SPKI PEM)
//   generate DIR --app NAME --app-version V [--out FILE]   golden manifest of a clean install (unsigned)
//   sign FILE --key KEY [--expires 90d] [--sequence N] [--out FILE]
//   verify FILE --pub KEY [--app NAME] [--at ISO]          exit 0 valid, 1 rejected (with the reason)
import { readFileSync, writeFileSync } from 'node:fs';
import { errorMessage, SealwatchError } from '../shared/errors.ts';
import { MANIFEST_FORMAT, ManifestRejected, parseEnvelope, signPayload, verifyEnvelope, type ManifestPayload } from '../manifest/envelope.ts';
import { generateKeyFiles, loadPrivateKey, loadPublicKeys } from '../manifest/keys.ts';
import { ExitCode } from './exit-codes.ts';
import type { Output } from './inspect.ts';
import { escapeTerminal, parseIsoDate } from './terminal.ts';

const DAY_MS = 86_400_000;

/** `90d`, `12h`, `30m`: how long a signed manifest stays valid. */
export function parseExpiry(text: string): number {
  const m = /^([1-9][0-9]{0,4})(d|h|m)$/.exec(text);
  if (!m) throw new SealwatchError('CONFIG', `manifest sign: --expires ${JSON.stringify(text)} is not a duration such as 90d, 12h or 30m`);
  return Number(m[1]) * ({ d: DAY_MS, h: 3_600_000, m: 60_000 } as const)[m[2] as 'd' | 'h' | 'm'];
}

function write(file: string | undefined, text: string, io: Output): void {
  if (!file) {
    io.out(text);
    return;
  }
  try {
    writeFileSync(file, `${text}\n`);
  } catch (err) {
    throw new SealwatchError('IO', `cannot write ${file}: ${errorMessage(err)}`, { file, cause: err });
  }
}

function readText(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new SealwatchError('CONFIG', `${what} ${file}: cannot be read: ${errorMessage(err)}`, { file, cause: err });
  }
}

export function runKeygen(o: { out: string }, io: Output): number {
  const k = generateKeyFiles(o.out);
  io.out(`signing key ${k.privateFile} (keep it secret: mode 0600)`);
  io.out(`public key  ${k.publicFile}`);
  io.out(`key id      ${k.keyId}`);
  return ExitCode.ok;
}

export async function runGenerate(dir: string, o: { app: string; appVersion: string; out?: string; trust: string[]; catalog: string[]; workers?: number }, io: Output): Promise<number> {
  const [{ InspectPool }, { DEFAULT_MAX_FILE_BYTES }, { verificationSettings, checkVerificationDirs }, { generateManifest }] = await Promise.all([
    import('../inventory/pool.ts'),
    import('../inventory/read.ts'),
    import('./verification-options.ts'),
    import('../manifest/generate.ts'),
  ]);
  checkVerificationDirs(o);
  const pool = new InspectPool({ ...verificationSettings(o), now: new Date().toISOString(), maxFileBytes: DEFAULT_MAX_FILE_BYTES }, o.workers);
  try {
    const payload = await generateManifest(dir, o.app, o.appVersion, pool);
    write(o.out, JSON.stringify({ format: MANIFEST_FORMAT, payload, signatures: [] }, null, 2), io);
    if (o.out) io.err(`${payload.files.length} files of ${o.app} ${o.appVersion} → ${o.out} (unsigned: run \`sealwatch manifest sign\`)`);
    return ExitCode.ok;
  } finally {
    await pool.close();
  }
}

export function runSign(file: string, o: { key: string; expires: string; sequence?: string; out?: string }, io: Output, now = new Date()): number {
  const env = parseOrUsage(file);
  const key = loadPrivateKey(o.key);
  const lifetime = parseExpiry(o.expires);
  let sequence = Math.floor(now.getTime() / 1000);
  if (o.sequence !== undefined) {
    if (!/^\d{1,15}$/.test(o.sequence)) throw new SealwatchError('CONFIG', `manifest sign: --sequence ${JSON.stringify(o.sequence)} is not a whole number`);
    sequence = Number(o.sequence);
  }
  const payload: ManifestPayload = { ...env.payload, sequence, issued_at: now.toISOString(), expires_at: new Date(now.getTime() + lifetime).toISOString() };
  const signed = signPayload(payload, key);
  write(o.out ?? file, JSON.stringify(signed, null, 2), io);
  io.err(`signed ${payload.app} ${payload.version}: sequence ${sequence}, expires ${payload.expires_at}, key ${signed.signatures[0]?.keyid}`);
  return ExitCode.ok;
}

function parseOrUsage(file: string): ReturnType<typeof parseEnvelope> {
  try {
    return parseEnvelope(readText(file, 'manifest'));
  } catch (err) {
    if (err instanceof ManifestRejected) throw new SealwatchError('CONFIG', `manifest ${file}: ${err.message}`, { file });
    throw err;
  }
}

export function runVerify(file: string, o: { pub: string[]; app?: string; at?: string }, io: Output): number {
  if (o.pub.length === 0) throw new SealwatchError('CONFIG', 'manifest verify: give the pinned public key with --pub KEY');
  const keys = o.pub.flatMap(loadPublicKeys);
  const now = o.at !== undefined ? parseIsoDate(o.at, '--at') : new Date();
  try {
    const env = parseEnvelope(readText(file, 'manifest'));
    if (o.app !== undefined && env.payload.app !== o.app) throw new ManifestRejected('wrong-app', `it describes app ${JSON.stringify(env.payload.app)}, not ${JSON.stringify(o.app)}`);
    const v = verifyEnvelope(env, keys, now);
    const p = v.envelope.payload;
    io.out(escapeTerminal(`valid: ${p.app} ${p.version}, ${p.files.length} files, sequence ${v.sequence}, expires ${p.expires_at}, key ${v.keyId}`));
    return ExitCode.ok;
  } catch (err) {
    if (!(err instanceof ManifestRejected)) throw err;
    io.out(escapeTerminal(`MANIFEST_INVALID (${err.reason}): ${file}: ${err.message}`));
    return ExitCode.findings;
  }
}

const FEED_KINDS = ['electron-builder', 'sparkle', 'winget', 'squirrel'] as const;

/**
 * `scan --manifest FILE|URL --manifest-key PUB [--vendor-feed KIND=LOCATION]` as the pipeline's manifest stage. Built
 * for every scan: an installed MSIX package's signed block map is checked without being asked for (the stage costs
 * nothing when there is no manifest to read).
 */
export async function scanManifestStage(o: { manifest?: readonly string[]; manifestKey?: readonly string[]; vendorFeed?: readonly string[]; feedHost?: readonly string[] }): Promise<import('../manifest/stage.ts').ManifestStage> {
  const manifests = o.manifest ?? [];
  const keyFiles = o.manifestKey ?? [];
  const feeds = o.vendorFeed ?? [];
  if (manifests.length && !keyFiles.length) throw new SealwatchError('CONFIG', 'scan: --manifest needs the pinned public key: --manifest-key PUB');
  if (keyFiles.length && !manifests.length) throw new SealwatchError('CONFIG', 'scan: --manifest-key pins a key for --manifest, which is missing');
  const keys = keyFiles.flatMap(loadPublicKeys);
  const specs: import('../manifest/stage.ts').ManifestSpec[] = manifests.map((location) => ({ kind: 'sealwatch', location, keys }));
  for (const f of feeds) {
    const eq = f.indexOf('=');
    const kind = f.slice(0, eq) as (typeof FEED_KINDS)[number];
    if (eq < 0 || !FEED_KINDS.includes(kind)) throw new SealwatchError('CONFIG', `scan: --vendor-feed ${JSON.stringify(f)}: give KIND=FILE|URL|auto with KIND one of ${FEED_KINDS.join(', ')}`);
    specs.push({ kind, location: f.slice(eq + 1) });
  }
  const extraFeedHosts = await feedHostsOption(o.feedHost ?? []);
  const { ManifestStage } = await import('../manifest/stage.ts');
  return new ManifestStage(specs, extraFeedHosts.length ? { extraFeedHosts } : {});
}

/** `--feed-host HOST` (repeatable): checked and written as a `manifest.feed_hosts` entry is (feed-host-entry.ts). */
async function feedHostsOption(hosts: readonly string[]): Promise<string[]> {
  if (hosts.length === 0) return [];
  const { feedHostEntry } = await import('../manifest/feed-host-entry.ts');
  return hosts.map((h) => {
    const entry = feedHostEntry(h);
    if (entry === undefined) throw new SealwatchError('CONFIG', `scan: --feed-host ${JSON.stringify(h)}: must be a host name, an IP address, or *.example.com`);
    return entry;
  });
}
