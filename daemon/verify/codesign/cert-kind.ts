// What kind of Apple-issued signing certificate a chain ends in, from Apple's marker extensions (VERIFY-NOTES B8).
import { type CertificateInfo } from '../../formats/cms/index.ts';

export type AppleCertKind =
  | 'developer-id-application'
  | 'developer-id-installer'
  | 'mac-app-store'
  | 'mac-app-submission'
  | 'development'
  | 'apple-software'
  | 'other';

const LEAF: ReadonlyArray<[string, AppleCertKind]> = [
  ['1.2.840.113635.100.6.1.13', 'developer-id-application'],
  ['1.2.840.113635.100.6.1.14', 'developer-id-installer'],
  ['1.2.840.113635.100.6.1.9', 'mac-app-store'],
  ['1.2.840.113635.100.6.1.7', 'mac-app-submission'],
  ['1.2.840.113635.100.6.1.12', 'development'],
  ['1.2.840.113635.100.6.1.2', 'development'],
  ['1.2.840.113635.100.6.22', 'apple-software'],
];
const DEVELOPER_ID_INTERMEDIATE = '1.2.840.113635.100.6.2.6';

export function appleCertKind(chain: readonly CertificateInfo[]): AppleCertKind {
  const leaf = chain[0];
  if (!leaf) return 'other';
  for (const [oid, kind] of LEAF) {
    if (!leaf.extensionOids.includes(oid)) continue;
    // Developer ID leaves must sit under a Developer ID CA (marker on certificate 1).
    if (kind.startsWith('developer-id') && !chain[1]?.extensionOids.includes(DEVELOPER_ID_INTERMEDIATE)) return 'other';
    return kind;
  }
  return 'other';
}

/** Team ID = the first OU of the leaf's subject. */
export function teamIdOf(leaf: CertificateInfo | undefined): string | undefined {
  return leaf?.subjectFields.organizationalUnits[0];
}
