// A short human summary per file, in the spirit of `codesign -dv` and Sysinternals Sigcheck. Every string that comes
// from the file (names, versions, signer and issuer names, messages) is escaped: it cannot act on the terminal.
import { type ModuleRecord, type SignatureRecord } from '../shared/model.ts';
import { safe } from './terminal.ts';

const STATUS_TEXT: Record<string, string> = {
  trusted: 'valid, trusted',
  untrusted: 'valid, NOT trusted',
  invalid: 'INVALID',
  unsigned: 'unsigned',
  adhoc: 'ad-hoc signed (no identity)',
  'linker-signed': 'linker-signed (no identity)',
};

/** The status line: as macOS says "valid, certificate expired"; a universal file is as signed as its weakest slice. */
function statusText(r: ModuleRecord): string {
  const cs = r.code_signature;
  const expired = cs.signatures.some((s) => s.certificate_expired) && (cs.status === 'trusted' || cs.status === 'untrusted') ? ', certificate expired (no secure timestamp)' : '';
  const source = cs.status === 'unsigned' && cs.exists ? ' (not every slice is signed)' : cs.exists ? ` (${safe(cs.source)})` : '';
  return `${STATUS_TEXT[cs.status] ?? safe(cs.status)}${expired}${source}`;
}

/** The verified signer: the first trusted signature's, else the first valid one's (marked not trusted); none else. */
export function verifiedPublisher(r: ModuleRecord): string | undefined {
  const sigs = r.code_signature.signatures;
  const pick = (s: SignatureRecord | undefined): string | undefined => {
    if (!s) return undefined;
    const who = s.organization ?? s.subject_name ?? s.team_id;
    if (!who) return undefined;
    const team = s.kind === 'slice' && s.team_id && who !== s.team_id ? ` (team ${safe(s.team_id)})` : '';
    return `${safe(who)}${team}${s.trusted ? '' : ' (valid signature, NOT trusted)'}`;
  };
  return pick(sigs.find((s) => s.valid && s.trusted)) ?? pick(sigs.find((s) => s.valid));
}

export function renderHuman(r: ModuleRecord): string {
  const lines: string[] = [safe(r.file.path)];
  const m = r.module;
  const what = [m.format === 'pe' ? (m.bits === 64 ? 'PE32+' : 'PE32') : m.format, m.arch.join('+'), m.kind].filter(Boolean).map((s) => safe(s)).join(' ');
  lines.push(`  Format:    ${what}${r.pe?.dotnet ? ' (.NET)' : ''}`);
  if (m.version.file || m.version.product) lines.push(`  Version:   file ${safe(m.version.file)}, product ${safe(m.version.product)}`);
  const publisher = verifiedPublisher(r);
  if (publisher) lines.push(`  Publisher: ${publisher}`);
  // What the file says about itself: shown as such, never as the publisher.
  if (r.pe?.company) lines.push(`  Company:   ${safe(r.pe.company)} (self-declared)`);
  if (r.pe?.product) lines.push(`  Product:   ${safe(r.pe.product)} (self-declared)`);
  if (r.bundle) {
    const b = r.bundle;
    lines.push(`  Bundle:    ${b.identifier ? safe(b.identifier) : '(no identifier)'} ${b.short_version ? safe(b.short_version) : ''}${b.version ? ` (${safe(b.version)})` : ''}, executable ${safe(b.executable)}`);
    lines.push(`  Seal:      ${b.sealed_files} sealed, ${b.files} files${b.stapled_ticket ? ', notarization ticket stapled' : ''}`);
  }
  if (r.error) lines.push(`  Error:     ${safe(r.error.code)}: ${safe(r.error.message)}`);
  const cs = r.code_signature;
  lines.push(`  Signature: ${statusText(r)}`);
  for (const s of cs.signatures) {
    const flags = `${s.valid ? 'valid' : 'INVALID'}${s.trusted ? ', trusted' : s.valid ? ', NOT trusted' : ''}`;
    if (s.kind === 'slice') {
      lines.push(`    [${safe(s.arch)}] ${safe(s.status)}: ${safe(s.signing_id)}${s.team_id ? ` (team ${safe(s.team_id)})` : ''} cdhash ${safe(s.cdhash)}${s.flags?.length ? ` flags ${s.flags.map((f) => safe(f)).join(',')}` : ''}`);
      if (s.subject_name) lines.push(`        ${safe(s.subject_name)} <- ${s.issuer_name ? safe(s.issuer_name) : '?'}${s.cert_kind ? ` [${safe(s.cert_kind)}]` : ''}`);
    } else {
      lines.push(`    [${safe(s.index)}] ${s.subject_name ? safe(s.subject_name) : '(no signer)'} <- ${s.issuer_name ? safe(s.issuer_name) : '?'} (${s.digest_algorithm ? safe(s.digest_algorithm) : '?'}; ${flags})`);
    }
    if (s.timestamp) {
      lines.push(`        timestamp ${s.timestamp.time ? safe(s.timestamp.time) : '?'} (${s.timestamp.kind}${s.timestamp.trusted ? ', trusted' : s.timestamp.valid ? ', untrusted' : ', invalid'})`);
    }
    if (s.catalog) lines.push(`        catalog ${safe(s.catalog.name)} (matched by ${safe(s.catalog.matched_by)})`);
  }
  const notable = cs.problems.filter((p) => p.severity !== 'warning' || p.code !== 'WEAK_DIGEST');
  for (const p of notable) lines.push(`  ! ${p.code}${p.signature ? ` [${safe(p.signature)}]` : ''}: ${safe(p.message)}`);
  const weak = cs.problems.length - notable.length;
  if (weak > 0) lines.push(`  (${weak} weak-algorithm notes; see --json)`);
  lines.push(`  SHA-256:   ${r.file.hash.sha256}`);
  // SHA-1 and MD5 are recorded only with --ioc-digests (or where a signature or catalog needs them).
  if (r.file.hash.sha1) lines.push(`  SHA-1:     ${r.file.hash.sha1}`);
  if (r.file.hash.md5) lines.push(`  MD5:       ${r.file.hash.md5}`);
  if (r.pe) lines.push(`  Authentihash: sha256 ${r.pe.authentihash.sha256}${r.pe.authentihash.sha1 ? `, sha1 ${r.pe.authentihash.sha1}` : ''}`);
  return lines.join('\n');
}
