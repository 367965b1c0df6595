// The alert `sealwatch alerts test` sends: the shape of a real one (an invalid signature and a signer change, with
// hashes), marked as a test in every title so nobody acts on it.
import { hostname } from 'node:os';
import { type AlertContent } from './content.ts';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);

export function sampleAlert(now: Date): AlertContent {
  return {
    host: hostname(),
    app: 'sealwatch-test',
    fromVersion: '1.0.0',
    toVersion: '1.0.1 (TEST ALERT — no action needed)',
    snapshotId: 0,
    time: now.toISOString(),
    findings: [
      {
        rule: 'SIGNATURE_INVALID',
        severity: 'critical',
        path: 'bin/example.exe',
        message: 'test alert from `sealwatch alerts test`: the signature of bin/example.exe does not match its contents',
        evidence: { before: { sha256: A, signer: 'org:Example Vendor', status: 'valid' }, after: { sha256: B, signer: 'org:Example Vendor', status: 'invalid' } },
      },
      {
        rule: 'SIGNER_CHANGED',
        severity: 'high',
        path: 'lib/example.dll',
        message: 'test alert from `sealwatch alerts test`: signed by another organisation than before',
        evidence: { before: { sha256: A, signer: 'org:Example Vendor' }, after: { sha256: B, signer: 'org:Someone Else' } },
      },
    ],
  };
}
