// The only module that reads ASN.1 (asn1js) and X.509 (pkijs); everything above works on these plain models.
export { decode, decodeExact, type Asn1 } from './asn1.ts';
export {
  parseCertificate,
  peekCertificate,
  pemToDer,
  sameBytes,
  type AlgorithmIdentifier,
  type CertificateInfo,
  type CertificatePeek,
} from './certificate.ts';
export { parseCtl, type CertificateTrustList, type CtlSubject } from './ctl.ts';
export { OID, DIGEST_BY_OID, type DigestName } from './oids.ts';
export { parseSpcIndirectData, parseSpcSpOpusInfo, parseTstInfo, type PageHashes, type SpcIndirectData, type TstInfo } from './authenticode.ts';
export {
  findAttribute,
  parseContentInfoSignedData,
  parseSignedData,
  parseSignerInfo,
  signedAttrsForVerification,
  type Attribute,
  type ContentInfoSignedData,
  type SignedData,
  type SignerInfo,
} from './signed-data.ts';
