// `sealwatch bundle keygen|sign|verify` (issue 12): signed policy bundles, as `sealwatch manifest …` does manifests.
//   keygen --out DIR                                   DIR/bundle.key (PKCS#8 PEM, 0600), DIR/bundle.pub (SPKI PEM)
//   sign --key KEY --bundle-version N [--expires 30d] [--policies DIR] [--manifests DIR] --out FILE
//   verify FILE --pub KEY [--at ISO] [--last-version N] exit 0 valid, 1 refused (with the reason)
import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BundleRejected, type BundleFile, parseBundle, signBundle, verifyBundle } from '../bundle/envelope.ts';
import { bundlePolicyErrors, bundlePolicyWarnings } from '../bundle/policy-check.ts';
import { formatProblem } from '../policy/types.ts';
import { keyId } from '../manifest/envelope.ts';
import { loadPrivateKey, loadPublicKeys } from '../manifest/keys.ts';
import { errorMessage, SealwatchError } from '../shared/errors.ts';
import { ExitCode } from './exit-codes.ts';
import type { Output } from './inspect.ts';
import { parseExpiry } from './manifest.ts';
import { escapeTerminal, parseIsoDate } from './terminal.ts';
import { makeDirs } from '../shared/make-dirs.ts';

export function runBundleKeygen(o: { out: string }, io: Output): number {
  makeDirs(o.out);
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const priv = join(o.out, 'bundle.key');
  const pub = join(o.out, 'bundle.pub');
  try {
    writeFileSync(priv, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
    chmodSync(priv, 0o600);
    writeFileSync(pub, publicKey.export({ type: 'spki', format: 'pem' }), { mode: 0o644, flag: 'wx' });
  } catch (err) {
    throw new SealwatchError('CONFIG', `bundle keygen: cannot write ${priv} / ${pub}: ${errorMessage(err)}`, { file: priv, cause: err });
  }
  io.out(`signing key ${priv} (keep it secret: mode 0600)`);
  io.out(`public key  ${pub} (pin it: bundle.public_keys)`);
  io.out(`key id      ${keyId(publicKey)}`);
  return ExitCode.ok;
}

/** The files directly in `dir` named like `pattern`, by name (policies: .yaml/.yml; manifests: those and .json). */
function filesOf(dir: string | undefined, pattern = /\.(ya?ml|json)$/): BundleFile[] {
  if (!dir) return [];
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isFile() && pattern.test(e.name))
      .map((e) => ({ name: e.name, content: readFileSync(join(dir, e.name), 'utf8') }))
      .sort((a, b) => a.name.localeCompare(b.name));
  } catch (err) {
    throw new SealwatchError('CONFIG', `bundle sign: cannot read ${dir}: ${errorMessage(err)}`, { file: dir, cause: err });
  }
}

export function runBundleSign(o: { key: string; bundleVersion: string; expires: string; policies?: string; manifests?: string; out: string }, io: Output, now = new Date()): number {
  if (!/^[1-9]\d{0,14}$/.test(o.bundleVersion)) throw new SealwatchError('CONFIG', `bundle sign: --bundle-version ${JSON.stringify(o.bundleVersion)} is not a whole number ≥ 1`);
  const key = loadPrivateKey(o.key);
  const payload = { version: Number(o.bundleVersion), issued_at: now.toISOString(), expires_at: new Date(now.getTime() + parseExpiry(o.expires)).toISOString(), policies: filesOf(o.policies, /\.ya?ml$/), manifests: filesOf(o.manifests) };
  const errors = bundlePolicyErrors(payload.policies);
  if (errors.length) throw SealwatchError.listing('CONFIG', ['bundle sign: not signed: the daemon would refuse these policies:', ...errors.map(formatProblem)]);
  // Warnings do not stop the signing (the daemon loads such policies), but whoever signs should see them.
  for (const w of bundlePolicyWarnings(payload.policies)) io.err(escapeTerminal(formatProblem(w)));
  const signed = signBundle(payload, key);
  // The signer checks what the daemon will: names and shape.
  parseBundle(JSON.stringify(signed));
  writeFileSync(o.out, `${JSON.stringify(signed, null, 2)}\n`);
  io.err(`signed bundle version ${payload.version}: ${payload.policies.length} policies, ${payload.manifests.length} manifests, expires ${payload.expires_at}, key ${signed.signatures[0]?.keyid}`);
  return ExitCode.ok;
}

export function runBundleVerify(file: string, o: { pub: string[]; at?: string; lastVersion?: string }, io: Output): number {
  if (o.pub.length === 0) throw new SealwatchError('CONFIG', 'bundle verify: give the pinned public key with --pub KEY');
  const keys = o.pub.flatMap(loadPublicKeys);
  const now = o.at !== undefined ? parseIsoDate(o.at, '--at') : new Date();
  const last = o.lastVersion !== undefined ? Number(o.lastVersion) : undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new SealwatchError('CONFIG', `bundle ${file}: cannot be read: ${errorMessage(err)}`, { file, cause: err });
  }
  try {
    const env = parseBundle(text);
    const v = verifyBundle(env, keys, now, last);
    const errors = bundlePolicyErrors(env.payload.policies);
    if (errors.length) throw new BundleRejected('malformed', 'its policies do not load:', errors.map(formatProblem));
    io.out(escapeTerminal(`valid: bundle version ${env.payload.version}, ${env.payload.policies.length} policies, ${env.payload.manifests.length} manifests, expires ${env.payload.expires_at}, key ${v.keyId}`));
    return ExitCode.ok;
  } catch (err) {
    if (!(err instanceof BundleRejected)) throw err;
    const [first = '', ...rest] = err.lines;
    for (const line of [`BUNDLE_REFUSED (${err.reason}): ${file}: ${first}`, ...rest]) io.out(escapeTerminal(line));
    return ExitCode.findings;
  }
}
