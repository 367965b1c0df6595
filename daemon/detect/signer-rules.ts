// Who signed a module, compared with who signed it before. An identity counts only when it comes from a trusted
// chain (shared/signer.ts), so the rules here are, in order:
// 1. an impostor: a signature that is not trusted names a signer the app trusts (a self-made certificate whose subject
//    says O=Microsoft Corporation; an ad-hoc CodeDirectory, or one slice of a universal binary, naming the vendor's
//    Team ID) — SIGNER_IMPOSTOR;
// 2. a drop in standing: trusted → untrusted, signed → ad-hoc / linker-signed / unsigned, for any slice —
//    SIGNATURE_DOWNGRADED (critical for a module the app had trusted);
// 3. another trusted signer — SIGNER_CHANGED (high for a vendor rename: same issuing CA, same locality; high for a
//    trusted signature of another organisation added beside the same signer; info when only the leaf certificate or
//    the issuing CA changed);
// 4. an unsigned module new in a signed app — NEW_UNSIGNED_MODULE.
import { type ModuleChange } from '../diff/diff.ts';
import { type ModuleSummary } from '../diff/summary.ts';
import { type Finding } from '../shared/findings.ts';
import { STANDING_RANK, type Standing } from '../shared/signer.ts';
import { finding } from './finding.ts';
import { type DetectInput } from './input.ts';

const hasIdentity = (s: string): boolean => s.startsWith('org:') || s.startsWith('team:');
const standingOf = (m: ModuleSummary): Standing => m.standing ?? (m.signed ? 'untrusted' : 'unsigned');
const slicesOf = (m: ModuleSummary): Readonly<Record<string, Standing>> => m.sliceStandings ?? {};

/** Trusted identities this module may not claim without a trusted chain: the app's, and this path's previous one. */
function trustedNames(b: ModuleSummary | undefined, input: DetectInput): Set<string> {
  const names = new Set([...input.knownSigners].filter(hasIdentity));
  if (b && standingOf(b) === 'trusted' && hasIdentity(b.signer)) names.add(b.signer);
  return names;
}

function impostorRule(c: ModuleChange, a: ModuleSummary, b: ModuleSummary | undefined, input: DetectInput): Finding | undefined {
  const names = trustedNames(b, input);
  const claimed = (a.untrustedClaims ?? []).filter((n) => names.has(n));
  if (claimed.length === 0) return undefined;
  const how = Object.entries(slicesOf(a)).filter(([, s]) => s !== 'trusted').map(([arch, s]) => `${arch} ${s}`);
  const what = how.length > 0 ? `slice(s) ${how.join(', ')}` : `a ${standingOf(a)} signature (subject ${a.signerDn ?? a.signerSubject ?? '?'}, issuer ${a.issuer ?? '?'})`;
  return finding('SIGNER_IMPOSTOR', c, `${c.path}: impostor — ${what} names ${claimed.join(', ')}, a signer this app trusts, without a trusted chain`, {
    claimed,
    standing: [b ? standingOf(b) : undefined, standingOf(a)],
    slices: { before: b && slicesOf(b), after: slicesOf(a) },
  });
}

/** Slices (or the whole file) whose standing is lower than before; a new slice is compared with the old weakest. */
function droppedSlices(a: ModuleSummary, b: ModuleSummary): string[] {
  const before = slicesOf(b);
  const floor = STANDING_RANK[standingOf(b)];
  const out: string[] = [];
  for (const [arch, s] of Object.entries(slicesOf(a))) {
    const was = before[arch];
    if (STANDING_RANK[s] < (was !== undefined ? STANDING_RANK[was] : floor)) out.push(`${arch} ${was ?? `(new; file was ${standingOf(b)})`} → ${s}`);
  }
  return out;
}

function downgradeRule(c: ModuleChange, a: ModuleSummary, b: ModuleSummary): Finding | undefined {
  const [was, now] = [standingOf(b), standingOf(a)];
  if (now === 'invalid' || was === 'invalid' || was === 'unsigned') return undefined; // SIGNATURE_INVALID speaks
  const slices = droppedSlices(a, b);
  if (STANDING_RANK[now] >= STANDING_RANK[was] && slices.length === 0) return undefined;
  const detail = slices.length > 0 && Object.keys(slicesOf(a)).length > 1 ? ` (${slices.join('; ')})` : '';
  const lost = now === 'unsigned' ? 'lost its signature' : `signature went from ${was} to ${now}`;
  // The same signer whose certificate is no longer valid at the judged time (expired, timestamp not trusted): a real CA
  // still vouches for the name. High: genuine vendors ship this (Inno Setup 6.3's Certum-timestamped files), and so
  // does an attacker holding a vendor's old key (the leaked, expired NVIDIA certificates of 2022).
  const sameSignerExpired = now === 'untrusted' && a.untrustedByTime === true && a.signer === `untrusted:${b.signer}`;
  const variant = was !== 'trusted' ? 'was-untrusted' : sameSignerExpired ? 'expired' : undefined;
  const why = sameSignerExpired ? ' — same signer, certificate no longer valid at this time' : '';
  return finding('SIGNATURE_DOWNGRADED', c, `${c.path}: ${lost}${detail}${why}`, { standing: [was, now], slices: { before: slicesOf(b), after: slicesOf(a) } }, variant);
}

const dnField = (dn: string | undefined, key: string): string | undefined => new RegExp(`(?:^|, )${key}=([^,]*)`).exec(dn ?? '')?.[1]?.trim().toLowerCase();

/**
 * A vendor rename (Node.js Foundation → OpenJS Foundation): both trusted, the same issuing CA, and the same locality
 * and country in the subject — what a CA re-validated for the same organisation. Anything else is another signer.
 */
function looksLikeRename(a: ModuleSummary, b: ModuleSummary): boolean {
  if (a.issuer === undefined || a.issuer !== b.issuer) return false;
  const l = dnField(a.signerDn, 'L');
  const country = dnField(a.signerDn, 'C');
  return l !== undefined && country !== undefined && l === dnField(b.signerDn, 'L') && country === dnField(b.signerDn, 'C');
}

function signerChangeRule(c: ModuleChange, a: ModuleSummary, b: ModuleSummary): Finding | undefined {
  const [was, now] = [standingOf(b), standingOf(a)];
  // Both identities must come from the same kind of chain to compare: a change of standing is the downgrade rule's.
  if (a.signed && b.signed && a.signer !== b.signer && ((was === 'trusted') === (now === 'trusted'))) {
    const rename = now === 'trusted' && looksLikeRename(a, b);
    const why = rename ? ` — same issuing CA (${a.issuer ?? '?'}) and locality: a vendor rename, or a new organisation at the same address` : '';
    return finding('SIGNER_CHANGED', c, `${c.path}: signer changed from ${b.signer} to ${a.signer}${why}`, { subjects: [b.signerDn, a.signerDn] }, rename ? 'vendor-rename' : undefined);
  }
  const added = a.signer === b.signer && now === 'trusted' ? (a.coSigners ?? []).filter((x) => x !== b.signer && !(b.coSigners ?? []).includes(x)) : [];
  if (added.length) {
    return finding('SIGNER_CHANGED', c, `${c.path}: ${added.join(', ')} now signs it too, beside ${a.signer} (a nested signature: nothing in it is covered by the outer one, and anyone can add one)`, { co_signers_added: added }, 'co-signer-added');
  }
  if (c.fields.includes('signer-certificate') && a.signer === b.signer) {
    const what = b.issuer !== a.issuer ? `issuing CA ${b.issuer ?? '?'} → ${a.issuer ?? '?'}` : `new leaf certificate from ${a.issuer ?? '?'}`;
    return finding('SIGNER_CHANGED', c, `${c.path}: same signer (${a.signer}), ${what}`, {}, 'certificate-rotation');
  }
  return undefined;
}

/** `b`: the module that was at this path before, if any. */
export function signerRules(c: ModuleChange, a: ModuleSummary, b: ModuleSummary | undefined, input: DetectInput): Finding[] {
  const impostor = impostorRule(c, a, b, input);
  if (impostor) return [impostor];
  const out: Finding[] = [];
  const downgrade = b && downgradeRule(c, a, b);
  if (downgrade) out.push(downgrade);
  const change = b && !downgrade && signerChangeRule(c, a, b);
  if (change) out.push(change);
  if (!a.signed && !b && input.appWasSigned) out.push(finding('NEW_UNSIGNED_MODULE', c, `${c.path}: new unsigned module in a signed app`));
  return out;
}
