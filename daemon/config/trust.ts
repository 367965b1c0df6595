// Loads trust anchors from directories: PEM bundles and DER/PEM certificate files, with authroot.stl (when present
// beside Microsoft roots) giving each root its Trusted Root Program purposes. A directory named "apple" holds pinned
// Apple roots; "microsoft" the Microsoft program roots; "uefi" the Secure Boot db certificates firmware trusts (anchors
// for EFI images only, each certificate an anchor whether self-signed or not); any other directory is "custom".
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import {
  decode,
  parseCertificate,
  peekCertificate,
  type Asn1,
  type CertificatePeek,
  parseContentInfoSignedData,
  parseCtl,
  pemToDer,
  type CertificateInfo,
} from '../formats/cms/index.ts';
import { SealwatchError, errorMessage } from '../shared/errors.ts';
import { authrootPolicies, TrustStore, type AnchorPolicy, type TrustSource } from '../verify/chain/trust-store.ts';
import { policyFromIndex, readTrustIndex } from './trust-index.ts';

import { DEFAULT_TRUST_DIR } from './trust-dir.ts';
export { DEFAULT_TRUST_DIR };

function readCertificates(path: string, warnings: string[]): Array<{ peek: CertificatePeek; node: Asn1; der: Uint8Array }> {
  const bytes = readFileSync(path);
  const isPem = bytes[0] !== 0x30 && bytes.includes('-----BEGIN CERTIFICATE-----');
  const blobs = isPem ? pemToDer(bytes.toString('latin1')) : [bytes];
  const out: Array<{ peek: CertificatePeek; node: Asn1; der: Uint8Array }> = [];
  for (const der of blobs) {
    try {
      // A DER file is its first certificate; anything after it is reported, not trusted (one shipped Apple .cer
      // carries stray text after the DER, which openssl also ignores).
      const { node, trailing } = decode(der, 'Certificate');
      if (trailing > 0) warnings.push(`${path}: ${trailing} bytes after the certificate are ignored`);
      out.push({ peek: peekCertificate(node), node, der: trailing > 0 ? der.subarray(0, der.length - trailing) : der });
    } catch (err) {
      throw new SealwatchError('CONFIG', `trust store: ${path}: a certificate does not parse: ${errorMessage(err)}`, { cause: err, file: path });
    }
  }
  return out;
}

function sourceFor(dir: string): TrustSource {
  const name = basename(dir).toLowerCase();
  return name === 'apple' || name === 'microsoft' || name === 'uefi' ? name : 'custom';
}

export { checkTrustDirs } from './trust-dir.ts';

/** Loads every trust directory under `root` (or `root` itself when it holds certificates directly). */
export function loadTrustStore(roots: readonly string[] = [DEFAULT_TRUST_DIR], store = new TrustStore(), warnings: string[] = []): TrustStore {
  for (const root of roots) {
    let entries: string[];
    try {
      entries = readdirSync(root);
    } catch (err) {
      throw new SealwatchError('CONFIG', `trust store directory ${root} cannot be read: ${errorMessage(err)}`, { cause: err, file: root });
    }
    const subdirs = entries.map((e) => join(root, e)).filter((p) => statSync(p).isDirectory());
    const count = (): number => store.size + store.intermediates.length;
    const before = count();
    for (const dir of [root, ...subdirs]) loadOne(dir, store, warnings);
    // A directory given as a trust store that adds nothing is most likely the wrong one: said, not silently used.
    if (count() === before) warnings.push(`${root}: no certificates here (.pem, .crt, .cer, .der, in it or one level down): it adds no certificate`);
  }
  return store;
}

interface ParsedDir {
  readonly roots: Array<{ peek: CertificatePeek; node: Asn1; der: Uint8Array; policy: AnchorPolicy }>;
  readonly intermediates: Array<{ node: Asn1; der: Uint8Array }>;
}

/** Reads a trust directory the slow way: every certificate decoded, authroot.stl (when present) giving purposes. */
export function parseTrustDir(dir: string, warnings: string[] = []): ParsedDir {
  const files = readdirSync(dir).filter((f) => /\.(pem|crt|cer|der)$/i.test(f)).sort();
  const out: ParsedDir = { roots: [], intermediates: [] };
  if (files.length === 0) return out;
  let policies: Map<string, AnchorPolicy> | undefined;
  const stl = join(dir, 'authroot.stl');
  try {
    const bytes = readFileSync(stl);
    const { signedData } = parseContentInfoSignedData(bytes, { maxNodes: 2_000_000 });
    if (!signedData.content) throw new Error('authroot.stl has no CTL content');
    policies = authrootPolicies(parseCtl(signedData.content));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new SealwatchError('CONFIG', `trust store: ${stl}: ${errorMessage(err)}`, { cause: err, file: stl });
    }
  }
  // Firmware trusts a db certificate itself, wherever it was issued (UEFI spec 2.10 §32.5.3.3; EDK2 partial chains).
  const dbEntry = sourceFor(dir) === 'uefi';
  for (const f of files) {
    for (const cert of readCertificates(join(dir, f), warnings)) {
      // With an authroot.stl beside the roots, a root it does not list is not in the program: skip it.
      const policy = policies ? policies.get(cert.peek.sha1) : {};
      if (!policy) continue;
      const selfIssued = Buffer.compare(cert.peek.subjectDer, cert.peek.issuerDer) === 0;
      if (selfIssued || dbEntry) out.roots.push({ ...cert, policy });
      else out.intermediates.push(cert);
    }
  }
  return out;
}

/** Hundreds of roots, a handful used: each is parsed the first time a chain reaches it. */
function lazyCertificate(der: Uint8Array, node?: Asn1): () => CertificateInfo {
  let parsed: CertificateInfo | undefined;
  return () => (parsed ??= parseCertificate(node ?? decode(der, 'Certificate').node));
}

function loadOne(dir: string, store: TrustStore, warnings: string[]): void {
  const source = sourceFor(dir);
  const firmware = source === 'uefi';
  const anchor = (sha256: string, subjectDer: Uint8Array, certificate: () => CertificateInfo, policy: AnchorPolicy): void =>
    store.add({ sha256, subjectDer, get certificate() { return certificate(); }, source, policy: firmware ? { ...policy, firmware: true } : policy });
  const index = readTrustIndex(dir);
  if (index) {
    for (const r of index.roots) {
      const der = Buffer.from(r.der, 'base64');
      anchor(r.sha256, Buffer.from(r.subject_der, 'base64'), lazyCertificate(der), policyFromIndex(r.policy));
    }
    for (const i of index.intermediates) store.addIntermediate(parseCertificate(decode(Buffer.from(i, 'base64'), 'Certificate').node));
    return;
  }
  const parsed = parseTrustDir(dir, warnings);
  for (const r of parsed.roots) anchor(r.peek.sha256, r.peek.subjectDer, lazyCertificate(r.der, r.node), r.policy);
  for (const i of parsed.intermediates) store.addIntermediate(parseCertificate(i.node));
}

/**
 * Adds the operating system's root store (Windows, macOS; on Linux the distribution bundle) as "system" anchors for
 * every purpose. The OS restricts purposes per root in ways Node cannot read, so this widens trust: opt-in only,
 * and verdicts then depend on the host.
 */
export function addSystemTrust(store: TrustStore, warnings: string[] = []): number {
  let added = 0;
  // node:tls (and the network modules under it) loads only for --system-trust.
  const { getCACertificates } = process.getBuiltinModule('node:tls');
  for (const pem of getCACertificates('system')) {
    for (const der of pemToDer(pem)) {
      try {
        const node = decode(der, 'Certificate').node;
        const peek = peekCertificate(node);
        if (Buffer.compare(peek.subjectDer, peek.issuerDer) !== 0) continue;
        const before = store.size;
        store.add({ sha256: peek.sha256, subjectDer: peek.subjectDer, certificate: parseCertificate(node), source: 'system', policy: {} });
        added += store.size - before;
      } catch (err) {
        warnings.push(`system trust store: a certificate does not parse: ${errorMessage(err)}`);
      }
    }
  }
  return added;
}
