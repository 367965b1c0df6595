// Certificate Trust Lists (szOID_CTL 1.3.6.1.4.1.311.10.1): the content of Windows catalog (.cat) files and of
// authroot.stl (VERIFY-NOTES A9). Parsed into subjects with their attributes; interpretation lives in verify/.
import { FormatError } from '../../shared/errors.ts';
import { type Asn1, TagClass, UniversalTag } from './asn1.ts';
import { algorithmIdentifier, type AlgorithmIdentifier } from './certificate.ts';
import { type Attribute } from './signed-data.ts';

export interface CtlSubject {
  readonly identifier: Uint8Array;
  readonly attributes: readonly Attribute[];
}

export interface CertificateTrustList {
  readonly subjectUsage: readonly string[];
  readonly listIdentifier: Uint8Array | undefined;
  readonly thisUpdate: Date | undefined;
  readonly subjectAlgorithm: AlgorithmIdentifier;
  readonly subjects: readonly CtlSubject[];
}

function fail(message: string): FormatError {
  return new FormatError('CTL', 'MALFORMED', message);
}

export function parseCtl(node: Asn1): CertificateTrustList {
  const parts = node.sequence('CertificateTrustList');
  let i = 0;
  if (parts[i]?.is(TagClass.universal, UniversalTag.integer)) i++; // version DEFAULT v1
  const usage = parts[i++];
  if (!usage) throw fail('CTL has no subjectUsage');
  const subjectUsage = usage.sequence('subjectUsage').map((o) => o.oid('subjectUsage'));
  let listIdentifier: Uint8Array | undefined;
  if (parts[i]?.is(TagClass.universal, UniversalTag.octetString)) listIdentifier = parts[i++]?.content();
  if (parts[i]?.is(TagClass.universal, UniversalTag.integer)) i++; // sequenceNumber
  let thisUpdate: Date | undefined;
  const t = parts[i];
  if (t && (t.is(TagClass.universal, UniversalTag.utcTime) || t.is(TagClass.universal, UniversalTag.generalizedTime))) {
    thisUpdate = t.time('thisUpdate');
    i++;
  }
  const nu = parts[i];
  if (nu && (nu.is(TagClass.universal, UniversalTag.utcTime) || nu.is(TagClass.universal, UniversalTag.generalizedTime))) i++;
  const algNode = parts[i++];
  if (!algNode) throw fail('CTL has no subjectAlgorithm');
  const subjectAlgorithm = algorithmIdentifier(algNode, 'subjectAlgorithm');
  const subjects: CtlSubject[] = [];
  const list = parts[i];
  if (list?.is(TagClass.universal, UniversalTag.sequence)) {
    for (const [k, s] of list.children.entries()) {
      const fields = s.sequence(`trustedSubjects[${k}]`);
      const id = fields[0]?.octets('subjectIdentifier');
      if (!id) throw fail(`trustedSubjects[${k}] has no identifier`);
      const attrs = fields[1]?.set('subjectAttributes') ?? [];
      subjects.push({
        identifier: id,
        attributes: attrs.map((a, j) => {
          const [type, values] = a.sequence(`subjectAttributes[${j}]`);
          if (!type || !values) throw fail(`trustedSubjects[${k}] attribute ${j} is incomplete`);
          return { oid: type.oid('attribute type'), values: values.set('attribute values'), size: a.raw.length, unread: 0 };
        }),
      });
    }
  }
  return { subjectUsage, listIdentifier, thisUpdate, subjectAlgorithm, subjects };
}
