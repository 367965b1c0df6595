// Chain building and Windows-like chain policy on node:crypto (VERIFY-NOTES A8). pkijs' chain engine checks no
// EKUs, uses one date for the whole path and drops v1 roots, so we build our own: issuers are found by exact subject
// DER and confirmed by signature; anchors come only from the trust store, never from the file.
import { type CertificateInfo, sameBytes } from '../../formats/cms/certificate.ts';
import { OID, SIGNATURE_ALGORITHMS } from '../../formats/cms/oids.ts';
import { verifySignature } from '../crypto.ts';
import { problem, type Problem } from '../problems.ts';
import { anchorAllows, type TrustAnchor, type TrustStore } from './trust-store.ts';

const MAX_DEPTH = 12;
const MAX_EXPLORED = 64;

export interface ChainContext {
  readonly store: TrustStore;
  /** Which anchors may end this chain (Authenticode: Microsoft/custom; Apple: Apple/custom). Default: all. */
  readonly acceptAnchor?: (anchor: TrustAnchor) => boolean;
  /** Cache of certificate-signature checks across files, keyed by "child sha256:issuer sha256". */
  readonly signatureCache?: Map<string, boolean>;
}

export interface ChainRequest {
  readonly leaf: CertificateInfo;
  /** Untrusted certificates that came with the signature. */
  readonly pool: readonly CertificateInfo[];
  /** EKU OID the chain must be good for (code signing or time stamping). */
  readonly purpose: string;
  /** Other leaf EKUs accepted in place of `purpose` (catalog signers: Windows System Component Verification). */
  readonly alsoAcceptLeafEkus?: readonly string[];
  /** The time validity is judged at: a verified timestamp, or now. */
  readonly at: Date;
  /** Label for problems ("0", "0.1", "0/timestamp"). */
  readonly label: string;
}

export interface ChainResult {
  /** Leaf first; the last element is the anchor's certificate when trusted. */
  readonly path: readonly CertificateInfo[];
  readonly anchor: TrustAnchor | undefined;
  readonly trusted: boolean;
  readonly problems: readonly Problem[];
}

export function issuedBy(child: CertificateInfo, issuer: CertificateInfo, ctx: ChainContext): boolean {
  if (!sameBytes(child.issuerDer, issuer.subjectDer)) return false;
  const key = `${child.sha256}:${issuer.sha256}`;
  const cached = ctx.signatureCache?.get(key);
  if (cached !== undefined) return cached;
  const ok = !issuer.explicitCurve && verifySignature(child.tbs, child.signature, child.signatureAlgorithm, issuer.spki).ok;
  ctx.signatureCache?.set(key, ok);
  return ok;
}

interface Candidate {
  readonly path: CertificateInfo[];
  readonly anchor: TrustAnchor | undefined;
  /** Ends in a self-signed certificate that is not an anchor. */
  readonly selfSignedEnd: boolean;
}

function search(req: ChainRequest, ctx: ChainContext): Candidate {
  let best: Candidate = { path: [req.leaf], anchor: undefined, selfSignedEnd: false };
  let explored = 0;
  const visit = (path: CertificateInfo[]): Candidate | undefined => {
    if (++explored > MAX_EXPLORED) return undefined;
    const cert = path[path.length - 1] as CertificateInfo;
    // An anchor by fingerprint, or one that issued this certificate, ends the chain (Windows matches anchors by key).
    const accept = ctx.acceptAnchor ?? (() => true);
    const self = ctx.store.byFingerprint(cert.sha256);
    if (self && accept(self)) return { path, anchor: self, selfSignedEnd: false };
    for (const anchor of ctx.store.withSubject(cert.issuerDer)) {
      if (!accept(anchor)) continue;
      if (issuedBy(cert, anchor.certificate, ctx)) return { path: [...path, anchor.certificate], anchor, selfSignedEnd: false };
    }
    const selfSigned = sameBytes(cert.subjectDer, cert.issuerDer) && issuedBy(cert, cert, ctx);
    if (selfSigned) {
      const c = { path, anchor: undefined, selfSignedEnd: true };
      if (path.length >= best.path.length) best = c;
      return undefined;
    }
    if (path.length >= MAX_DEPTH) return undefined;
    for (const issuer of [...req.pool, ...ctx.store.intermediates]) {
      if (path.some((p) => p.sha256 === issuer.sha256)) continue;
      if (!issuedBy(cert, issuer, ctx)) continue;
      const found = visit([...path, issuer]);
      if (found) return found;
    }
    if (path.length > best.path.length) best = { path, anchor: undefined, selfSignedEnd: false };
    return undefined;
  };
  return visit([req.leaf]) ?? best;
}

export function buildChain(req: ChainRequest, ctx: ChainContext): ChainResult {
  const problems: Problem[] = [];
  const { path, anchor, selfSignedEnd } = search(req, ctx);
  const leaf = req.leaf;
  const name = (c: CertificateInfo): string => c.subjectFields.commonName ?? c.subject;

  if (!anchor) {
    const top = path[path.length - 1] as CertificateInfo;
    // A certificate named like a trusted root (or issued in its name) that the root's key did not sign is an impostor.
    const namesake = ctx.store.withSubject(selfSignedEnd ? top.subjectDer : top.issuerDer)[0];
    const impostor = namesake ? `; it carries the name of the trusted root "${name(namesake.certificate)}" but was not signed by that root's key` : '';
    // Certificates named as the issuer exist but none signed it: a forged or altered certificate, not a missing one.
    const namedIssuers = [...req.pool, ...ctx.store.intermediates].filter((c) => sameBytes(c.subjectDer, top.issuerDer) && c !== top);
    if (selfSignedEnd) {
      problems.push(problem('UNTRUSTED_ROOT', `chain ends at "${name(top)}", which is not a trusted root${impostor}`, req.label));
    } else if (namedIssuers.length > 0 || namesake) {
      problems.push(
        problem('CERT_SIGNATURE_INVALID', `"${name(top)}" names "${top.issuer}" as its issuer, but no certificate of that name signed it${impostor}`, req.label),
      );
    } else {
      problems.push(problem('CHAIN_INCOMPLETE', `no issuer found for "${name(top)}" (issuer "${top.issuer}")`, req.label));
    }
  }
  // Explicit EC parameters let a forged CA reuse a real root's public key (CVE-2020-0601). Such a certificate is
  // never accepted as an issuer; its presence as a would-be issuer of the path is itself reported.
  const issuerNames = new Set(path.map((c) => Buffer.from(c.issuerDer).toString('hex')));
  for (const c of [...path, ...req.pool]) {
    if (c.explicitCurve && (path.includes(c) || issuerNames.has(Buffer.from(c.subjectDer).toString('hex')))) {
      // Such a key never verifies a certificate here (issuedBy refuses it), so the chain cannot reach a trusted root:
      // a trust failure. The file's own signature is judged separately (EXPLICIT_CURVE on the signer's key).
      problems.push(problem('EXPLICIT_CURVE_IN_CHAIN', `"${name(c)}" has an EC key with explicit curve parameters (CVE-2020-0601 spoofing)`, req.label));
    }
  }
  // A UEFI db anchor is judged as firmware judges it: no EKU and no validity periods (trust-store.ts, `firmware`).
  const firmware = anchor?.policy.firmware === true;
  // EKU: the leaf must allow the purpose when it has an EKU extension; a TSA leaf must name time stamping.
  const ekus = leaf.extendedKeyUsages;
  const wantsEku = req.purpose === OID.ekuTimeStamping;
  const accepted = [req.purpose, OID.ekuAny, ...(req.alsoAcceptLeafEkus ?? [])];
  if (!firmware && ((ekus === undefined && wantsEku) || (ekus !== undefined && !accepted.some((e) => ekus.includes(e))))) {
    problems.push(
      problem('WRONG_EKU', `"${name(leaf)}" is not allowed for ${purposeName(req.purpose)} (EKUs: ${ekus?.join(', ') ?? 'none'})`, req.label),
    );
  }
  // Issuers in the middle must be CAs (a v3 certificate without cA=TRUE cannot issue).
  for (const c of path.slice(1)) {
    if (anchor && c === anchor.certificate) continue;
    if (c.isCA === false || (c.isCA === undefined && c.version >= 3)) {
      problems.push(problem('NOT_A_CA', `"${name(c)}" issued a certificate but is not a CA`, req.label));
    }
  }
  // Validity of every certificate at the judged time (expiry is judged at the verified timestamp, else now).
  for (const c of firmware ? [] : path) {
    if (req.at > c.notAfter) {
      problems.push(problem('CERT_EXPIRED', `"${name(c)}" expired ${c.notAfter.toISOString()} (judged at ${req.at.toISOString()})`, req.label));
    } else if (req.at < c.notBefore) {
      problems.push(problem('CERT_NOT_YET_VALID', `"${name(c)}" is valid only from ${c.notBefore.toISOString()} (judged at ${req.at.toISOString()})`, req.label));
    }
  }
  if (anchor) {
    const refusal = anchorAllows(anchor.policy, req.purpose, req.at, leaf.notBefore);
    if (refusal) {
      const code = refusal.includes('disabled') ? 'ROOT_DISALLOWED' : 'ROOT_NOT_TRUSTED_FOR_PURPOSE';
      problems.push(problem(code, `"${name(anchor.certificate)}": ${refusal} (${purposeName(req.purpose)})`, req.label));
    }
  }
  for (const c of path.slice(0, anchor ? -1 : undefined)) {
    const d = SIGNATURE_ALGORITHMS[c.signatureAlgorithm.oid]?.digest;
    if (d === 'md5' || d === 'sha1') {
      if (sameBytes(c.subjectDer, c.issuerDer)) continue; // a root's self-signature carries no trust
      problems.push(problem('WEAK_DIGEST', `"${name(c)}" is signed with ${d.toUpperCase()}`, req.label));
    }
  }
  const trusted = anchor !== undefined && !problems.some((p) => p.severity !== 'warning');
  return { path, anchor, trusted, problems };
}

export function purposeName(oid: string): string {
  if (oid === OID.ekuCodeSigning) return 'code signing';
  if (oid === OID.ekuTimeStamping) return 'time stamping';
  return oid;
}
