// The generic JSON alert, field for field as issue 10 fixes it. The receiver checks X-Sealwatch-Signature over the
// raw body (signature.ts) and de-duplicates on `id` (= X-Sealwatch-Delivery).
import { type AlertContent, severityCounts } from './content.ts';

export function genericPayload(c: AlertContent, deliveryId: string): Record<string, unknown> {
  const s = severityCounts(c.findings);
  return {
    id: deliveryId,
    host: c.host,
    app: c.app,
    from_version: c.fromVersion,
    to_version: c.toVersion,
    snapshot: c.snapshotId,
    time: c.time,
    summary: { critical: s.critical, high: s.high, medium: s.medium, low: s.low, info: s.info },
    findings: c.findings.map((f) => ({ rule: f.rule, severity: f.severity, path: f.path, message: f.message, evidence: f.evidence })),
  };
}
