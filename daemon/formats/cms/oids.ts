// Object identifiers used by Authenticode, catalogs, RFC 3161 and Apple code signing, with where each is defined.
export const OID = {
  // PKCS #7 / CMS (RFC 5652)
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  countersignature: '1.2.840.113549.1.9.6',
  // RFC 3161
  tstInfo: '1.2.840.113549.1.9.16.1.4',
  timeStampToken: '1.2.840.113549.1.9.16.2.14',
  // Authenticode (Windows Authenticode Portable Executable Signature Format)
  spcIndirectData: '1.3.6.1.4.1.311.2.1.4',
  spcStatementType: '1.3.6.1.4.1.311.2.1.11',
  spcSpOpusInfo: '1.3.6.1.4.1.311.2.1.12',
  spcPeImageData: '1.3.6.1.4.1.311.2.1.15',
  spcCabData: '1.3.6.1.4.1.311.2.1.25',
  spcSipInfo: '1.3.6.1.4.1.311.2.1.30',
  spcPageHashV1: '1.3.6.1.4.1.311.2.3.1',
  spcPageHashV2: '1.3.6.1.4.1.311.2.3.2',
  nestedSignature: '1.3.6.1.4.1.311.2.4.1',
  msRfc3161Timestamp: '1.3.6.1.4.1.311.3.3.1',
  ctl: '1.3.6.1.4.1.311.10.1',
  catalogList: '1.3.6.1.4.1.311.12.1.1',
  catalogListMemberSha1: '1.3.6.1.4.1.311.12.1.2',
  catalogListMemberSha256: '1.3.6.1.4.1.311.12.1.3',
  catalogNameValue: '1.3.6.1.4.1.311.12.2.1',
  catalogMemberInfo: '1.3.6.1.4.1.311.12.2.2',
  catalogMemberInfo2: '1.3.6.1.4.1.311.12.2.3',
  chromeTagCertificate: '1.3.6.1.4.1.11129.2.1.9999',
  sealingSignature: '1.3.6.1.4.1.311.2.4.3',
  sealingTimestamp: '1.3.6.1.4.1.311.2.4.4',
  // Extended key usages
  ekuCodeSigning: '1.3.6.1.5.5.7.3.3',
  ekuTimeStamping: '1.3.6.1.5.5.7.3.8',
  ekuAny: '2.5.29.37.0',
  ekuLifetimeSigning: '1.3.6.1.4.1.311.10.3.13',
  ekuMsTimeStamping: '1.3.6.1.4.1.311.10.3.2',
  ekuWindowsSystemComponent: '1.3.6.1.4.1.311.10.3.6',
  ekuKernelModeCodeSigning: '1.3.6.1.4.1.311.61.1.1',
  ekuWhql: '1.3.6.1.4.1.311.10.3.5',
  // X.509 extensions
  extBasicConstraints: '2.5.29.19',
  extKeyUsage: '2.5.29.15',
  extExtendedKeyUsage: '2.5.29.37',
  extSubjectKeyIdentifier: '2.5.29.14',
  extAuthorityKeyIdentifier: '2.5.29.35',
  // Public keys
  rsaEncryption: '1.2.840.113549.1.1.1',
  rsassaPss: '1.2.840.113549.1.1.10',
  ecPublicKey: '1.2.840.10045.2.1',
  dsa: '1.2.840.10040.4.1',
  ed25519: '1.3.101.112',
  // Apple code signing
  appleCdHashes: '1.2.840.113635.100.9.1',
  appleCdHashes2: '1.2.840.113635.100.9.2',
} as const;

export type DigestName = 'md5' | 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512';

export const DIGEST_BY_OID: Readonly<Record<string, DigestName>> = {
  '1.2.840.113549.2.5': 'md5',
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.4': 'sha224',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

export interface SignatureAlgorithmInfo {
  readonly key: 'rsa' | 'rsa-pss' | 'ecdsa' | 'dsa' | 'ed25519';
  /** The digest named by the algorithm itself; undefined when it comes from elsewhere (e.g. the SignerInfo). */
  readonly digest?: DigestName;
}

export const SIGNATURE_ALGORITHMS: Readonly<Record<string, SignatureAlgorithmInfo>> = {
  '1.2.840.113549.1.1.1': { key: 'rsa' },
  '1.2.840.113549.1.1.4': { key: 'rsa', digest: 'md5' },
  '1.2.840.113549.1.1.5': { key: 'rsa', digest: 'sha1' },
  '1.3.14.3.2.29': { key: 'rsa', digest: 'sha1' },
  '1.2.840.113549.1.1.14': { key: 'rsa', digest: 'sha224' },
  '1.2.840.113549.1.1.11': { key: 'rsa', digest: 'sha256' },
  '1.2.840.113549.1.1.12': { key: 'rsa', digest: 'sha384' },
  '1.2.840.113549.1.1.13': { key: 'rsa', digest: 'sha512' },
  '1.2.840.113549.1.1.10': { key: 'rsa-pss' },
  '1.2.840.10045.2.1': { key: 'ecdsa' },
  '1.2.840.10045.4.1': { key: 'ecdsa', digest: 'sha1' },
  '1.2.840.10045.4.3.1': { key: 'ecdsa', digest: 'sha224' },
  '1.2.840.10045.4.3.2': { key: 'ecdsa', digest: 'sha256' },
  '1.2.840.10045.4.3.3': { key: 'ecdsa', digest: 'sha384' },
  '1.2.840.10045.4.3.4': { key: 'ecdsa', digest: 'sha512' },
  '1.2.840.10040.4.1': { key: 'dsa' },
  '1.2.840.10040.4.3': { key: 'dsa', digest: 'sha1' },
  '2.16.840.1.101.3.4.3.2': { key: 'dsa', digest: 'sha256' },
  '1.3.101.112': { key: 'ed25519' },
};
