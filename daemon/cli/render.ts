// A short human summary per file, in the spirit of `codesign -dv` and Sysinternals Sigcheck.
import { type ModuleRecord } from '../shared/model.ts';

const STATUS_TEXT: Record<string, string> = {
  trusted: 'valid, trusted',
  untrusted: 'valid, NOT trusted',
  invalid: 'INVALID',
  unsigned: 'unsigned',
  adhoc: 'ad-hoc signed (no identity)',
  'linker-signed': 'linker-signed (no identity)',
};

export function renderHuman(r: ModuleRecord): string {
  const lines: string[] = [r.file.path];
  const m = r.module;
  const what = [m.format === 'pe' ? (m.bits === 64 ? 'PE32+' : 'PE32') : m.format, m.arch.join('+'), m.kind].filter(Boolean).join(' ');
  lines.push(`  Format:    ${what}${r.pe?.dotnet ? ' (.NET)' : ''}`);
  if (m.version.file || m.version.product) lines.push(`  Version:   file ${m.version.file ?? '-'}, product ${m.version.product ?? '-'}`);
  if (r.pe?.company || r.pe?.product) lines.push(`  Publisher: ${[r.pe.company, r.pe.product].filter(Boolean).join(' / ')}`);
  if (r.bundle) {
    const b = r.bundle;
    lines.push(`  Bundle:    ${b.identifier ?? '(no identifier)'} ${b.short_version ?? ''}${b.version ? ` (${b.version})` : ''}, executable ${b.executable ?? '-'}`);
    lines.push(`  Seal:      ${b.sealed_files} sealed, ${b.files} files${b.stapled_ticket ? ', notarization ticket stapled' : ''}`);
  }
  if (r.error) lines.push(`  Error:     ${r.error.code}: ${r.error.message}`);
  const cs = r.code_signature;
  lines.push(`  Signature: ${STATUS_TEXT[cs.status] ?? cs.status}${cs.exists ? ` (${cs.source})` : ''}`);
  for (const s of cs.signatures) {
    const flags = `${s.valid ? 'valid' : 'INVALID'}${s.trusted ? ', trusted' : ''}`;
    if (s.kind === 'slice') {
      lines.push(`    [${s.arch}] ${s.status}: ${s.signing_id ?? '-'}${s.team_id ? ` (team ${s.team_id})` : ''} cdhash ${s.cdhash ?? '-'}${s.flags?.length ? ` flags ${s.flags.join(',')}` : ''}`);
      if (s.subject_name) lines.push(`        ${s.subject_name} <- ${s.issuer_name ?? '?'}${s.cert_kind ? ` [${s.cert_kind}]` : ''}`);
    } else {
      lines.push(`    [${s.index}] ${s.subject_name ?? '(no signer)'} <- ${s.issuer_name ?? '?'} (${s.digest_algorithm ?? '?'}; ${flags})`);
    }
    if (s.timestamp) {
      lines.push(`        timestamp ${s.timestamp.time ?? '?'} (${s.timestamp.kind}${s.timestamp.trusted ? ', trusted' : s.timestamp.valid ? ', untrusted' : ', invalid'})`);
    }
    if (s.catalog) lines.push(`        catalog ${s.catalog.name} (matched by ${s.catalog.matched_by})`);
  }
  const notable = cs.problems.filter((p) => p.severity !== 'warning' || p.code !== 'WEAK_DIGEST');
  for (const p of notable) lines.push(`  ! ${p.code}${p.signature ? ` [${p.signature}]` : ''}: ${p.message}`);
  const weak = cs.problems.length - notable.length;
  if (weak > 0) lines.push(`  (${weak} weak-algorithm notes; see --json)`);
  lines.push(`  SHA-256:   ${r.file.hash.sha256}`);
  if (r.pe) lines.push(`  Authentihash: sha256 ${r.pe.authentihash.sha256}`);
  return lines.join('\n');
}
