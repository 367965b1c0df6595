// Trust anchors and what each is trusted for. Microsoft roots carry the purposes of the Trusted Root Program's
// authroot.stl (a root trusted only for TLS must not anchor a code signature); pinned Apple roots are trusted for
// code signing. Pure: the loader that reads files lives in daemon/config/trust.ts.
import { createHash } from 'node:crypto';
import { decodeExact } from '../../formats/cms/asn1.ts';
import { type CertificateInfo } from '../../formats/cms/certificate.ts';
import { type CertificateTrustList } from '../../formats/cms/ctl.ts';

export type TrustSource = 'microsoft' | 'apple' | 'custom' | 'system' | 'uefi';

export interface AnchorPolicy {
  /** Purposes (EKU OIDs) the root may anchor; undefined = any purpose. */
  readonly purposes?: ReadonlySet<string>;
  /** Microsoft disabled the root (for `disallowedPurposes`, or all purposes when that is absent) from this time. */
  readonly disallowedFrom?: Date;
  readonly disallowedPurposes?: ReadonlySet<string>;
  /** Certificates issued (notBefore) on or after this date do not chain to this root for `notBeforePurposes`. */
  readonly notBefore?: Date;
  readonly notBeforePurposes?: ReadonlySet<string>;
  readonly friendlyName?: string;
  /**
   * UEFI db semantics: the certificate itself is the anchor (it need not be self-signed), and neither EKUs nor validity
   * periods are checked, as firmware verifies images (EDK2 Pkcs7Verify: X509_PURPOSE_ANY, X509_V_FLAG_PARTIAL_CHAIN,
   * X509_V_FLAG_NO_CHECK_TIME; shim reuses it for db and MokList).
   */
  readonly firmware?: boolean;
}

export interface TrustAnchor {
  /** Fingerprint and subject are known without parsing; `certificate` may be parsed on first use. */
  readonly sha256: string;
  readonly subjectDer: Uint8Array;
  readonly certificate: CertificateInfo;
  readonly source: TrustSource;
  readonly policy: AnchorPolicy;
}

/** Anchors per platform: a Windows root must not vouch for Mac code, nor an Apple root for Windows code, and the UEFI
 * db (firmware's trust) only for EFI images. */
export const windowsAnchors = (a: TrustAnchor): boolean => a.source !== 'apple' && a.source !== 'uefi';
export const efiAnchors = (a: TrustAnchor): boolean => a.source !== 'apple';
export const appleAnchors = (a: TrustAnchor): boolean => a.source !== 'microsoft' && a.source !== 'uefi';

export class TrustStore {
  private readonly bySha256 = new Map<string, TrustAnchor>();
  private readonly bySubject = new Map<string, TrustAnchor[]>();
  private readonly known: CertificateInfo[] = [];
  private pending: ((store: TrustStore) => void) | undefined;

  /** With `load`, the store fills itself the first time it is read: a process that verifies nothing never pays. */
  constructor(load?: (store: TrustStore) => void) {
    this.pending = load;
  }

  private ready(): void {
    const load = this.pending;
    this.pending = undefined;
    load?.(this);
  }

  /** Known intermediates (e.g. Apple WWDR / Developer ID CAs): usable to build a path, never anchors. */
  get intermediates(): readonly CertificateInfo[] {
    this.ready();
    return this.known;
  }

  addIntermediate(certificate: CertificateInfo): void {
    this.known.push(certificate);
  }

  add(anchor: TrustAnchor): void {
    if (this.bySha256.has(anchor.sha256)) return;
    this.bySha256.set(anchor.sha256, anchor);
    const key = subjectKey(anchor.subjectDer);
    const list = this.bySubject.get(key) ?? [];
    list.push(anchor);
    this.bySubject.set(key, list);
  }

  get size(): number {
    this.ready();
    return this.bySha256.size;
  }

  anchors(): IterableIterator<TrustAnchor> {
    this.ready();
    return this.bySha256.values();
  }

  byFingerprint(sha256: string): TrustAnchor | undefined {
    this.ready();
    return this.bySha256.get(sha256);
  }

  /** Anchors whose subject name equals `issuerDer` (byte-exact DER). */
  withSubject(issuerDer: Uint8Array): readonly TrustAnchor[] {
    this.ready();
    return this.bySubject.get(subjectKey(issuerDer)) ?? [];
  }
}

function subjectKey(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('hex');
}

const PROP = {
  enhkeyUsage: '1.3.6.1.4.1.311.10.11.9',
  friendlyName: '1.3.6.1.4.1.311.10.11.11',
  disallowedFiletime: '1.3.6.1.4.1.311.10.11.104',
  disallowedEnhkeyUsage: '1.3.6.1.4.1.311.10.11.122',
  notBeforeFiletime: '1.3.6.1.4.1.311.10.11.126',
  notBeforeEnhkeyUsage: '1.3.6.1.4.1.311.10.11.127',
} as const;

function filetime(bytes: Uint8Array): Date | undefined {
  if (bytes.length !== 8) return undefined;
  const ticks = Buffer.from(bytes).readBigUInt64LE(0);
  return new Date(Number(ticks / 10_000n - 11_644_473_600_000n));
}

function oidList(bytes: Uint8Array): Set<string> {
  return new Set(decodeExact(bytes, 'EKU list').sequence('EKU list').map((o) => o.oid('EKU')));
}

/** authroot.stl subjects keyed by SHA-1 thumbprint (hex) → the policy Windows applies to that root. */
export function authrootPolicies(ctl: CertificateTrustList): Map<string, AnchorPolicy> {
  const out = new Map<string, AnchorPolicy>();
  for (const subject of ctl.subjects) {
    const policy: {
      -readonly [K in keyof AnchorPolicy]: AnchorPolicy[K];
    } = {};
    for (const attr of subject.attributes) {
      const value = attr.values[0]?.content();
      if (!value) continue;
      switch (attr.oid) {
        case PROP.enhkeyUsage:
          policy.purposes = oidList(value);
          break;
        case PROP.friendlyName:
          policy.friendlyName = Buffer.from(value).toString('utf16le').replace(/\0+$/u, '');
          break;
        case PROP.disallowedFiletime: {
          const t = filetime(value);
          if (t) policy.disallowedFrom = t;
          break;
        }
        case PROP.disallowedEnhkeyUsage:
          policy.disallowedPurposes = oidList(value);
          break;
        case PROP.notBeforeFiletime: {
          const t = filetime(value);
          if (t) policy.notBefore = t;
          break;
        }
        case PROP.notBeforeEnhkeyUsage:
          policy.notBeforePurposes = oidList(value);
          break;
      }
    }
    out.set(Buffer.from(subject.identifier).toString('hex'), policy);
  }
  return out;
}

/** Is this anchor trusted for `purpose`, for a chain whose leaf was issued at `leafIssued`, judged at `at`? */
export function anchorAllows(policy: AnchorPolicy, purpose: string, at: Date, leafIssued: Date): string | undefined {
  if (policy.purposes && !policy.purposes.has(purpose)) return 'the root program does not trust this root for the purpose';
  if (policy.disallowedFrom && at >= policy.disallowedFrom && (!policy.disallowedPurposes || policy.disallowedPurposes.has(purpose))) {
    return `the root program disabled this root on ${policy.disallowedFrom.toISOString().slice(0, 10)}`;
  }
  if (policy.notBefore && leafIssued >= policy.notBefore && (!policy.notBeforePurposes || policy.notBeforePurposes.has(purpose))) {
    return `the root program does not trust certificates issued after ${policy.notBefore.toISOString().slice(0, 10)} under this root`;
  }
  return undefined;
}
