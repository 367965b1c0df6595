// `policy suggest APP`: a starting policy from what the app's history shows — the signers of its own modules, other
// signers by the modules they sign (co-signers), the modules seen without a signer. Only trusted identities become
// signers; a module whose signature was never trusted is named in a comment, never allowed. The text lints clean.
import { minimatch } from 'minimatch';
import { Document, isMap, isScalar, isSeq, visit } from 'yaml';
import { escapeTerminal } from '../cli/terminal.ts';
import { summarise, type ModuleSummary } from '../diff/summary.ts';
import { type AppRow, type Store } from '../inventory/store/store.ts';
import { trustedIdentity, withoutSigner } from './match.ts';
import { type SignerSpec } from './types.ts';
import { CODE_FORMATS } from '../shared/model.ts';

interface Seen {
  readonly spec: SignerSpec;
  readonly paths: Set<string>;
  readonly issuers: Set<string>;
  readonly thumbprints: Set<string>;
}

const baseName = (path: string): string => path.split('/').pop() ?? path;
const isMainProgram = (path: string): boolean => path === './' || /^[^/]+\.exe$/i.test(path) || /(^|\/)Contents\/MacOS\/[^/]+$/.test(path);
const keyOf = (spec: SignerSpec): string => JSON.stringify([spec.organization ?? null, spec.team_id ?? null]);

/** High and critical findings nobody has reviewed as fine, by snapshot and path: `RULE severity`. */
function openAlarms(store: Store, app: AppRow): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of store.findings({ app: app.name })) {
    if (f.path === null || f.explained || (f.severity !== 'high' && f.severity !== 'critical') || f.state === 'accepted' || f.state === 'dismissed') continue;
    out.set(`${f.snapshot_id}\0${f.path}`, `${f.rule} ${f.severity}`);
  }
  return out;
}

/**
 * Every distinct module state in the history (path and record), summarised once — except one that arrived with a
 * high or critical finding still open (a swapped or planted module): suggesting its signer would allow the attack.
 */
function modulesSeen(store: Store, app: AppRow): { summaries: { path: string; m: ModuleSummary }[]; held: string[]; first: string; last: string; snapshots: number } {
  const seen = new Set<string>();
  const summaries: { path: string; m: ModuleSummary }[] = [];
  const held: string[] = [];
  const alarms = openAlarms(store, app);
  const snaps = store.snapshots(app.id);
  for (const s of snaps) {
    for (const f of store.files(s.id)) {
      if (!CODE_FORMATS.has(f.format) || seen.has(`${f.path}\0${f.record_id}`)) continue;
      seen.add(`${f.path}\0${f.record_id}`);
      const alarm = alarms.get(`${s.id}\0${f.path}`);
      if (alarm) {
        held.push(`${f.path} (${alarm}, snapshot ${s.id}${s.version ? `, version ${s.version}` : ''})`);
        continue;
      }
      const m = summarise(f.path, store.record(f.record_id, s.root, f.path));
      if (m.isCode && m.state === 'file') summaries.push({ path: f.path, m });
    }
  }
  return { summaries, held, first: snaps[0]?.taken_at ?? '?', last: snaps.at(-1)?.taken_at ?? '?', snapshots: snaps.length };
}

export function suggestPolicy(store: Store, app: AppRow): string {
  const { summaries, held, first, last, snapshots } = modulesSeen(store, app);
  const signers = new Map<string, Seen>();
  const unsigned = new Set<string>();
  const untrusted = new Set<string>();
  for (const { path, m } of summaries) {
    const id = trustedIdentity(m);
    if (!id) {
      (withoutSigner(m) ? unsigned : untrusted).add(withoutSigner(m) ? baseName(path) : `${path} (${m.status}${m.signer.length > 10 ? `, claims ${m.signer.slice(10)}` : ''})`);
      continue;
    }
    const spec: SignerSpec = id.teamId ? { team_id: id.teamId, ...(id.organization ? { organization: id.organization } : {}) } : { organization: id.organization ?? id.subject ?? '' };
    const s = signers.get(keyOf(spec)) ?? { spec, paths: new Set(), issuers: new Set(), thumbprints: new Set() };
    s.paths.add(path);
    if (id.issuer) s.issuers.add(id.issuer);
    if (id.thumbprint) s.thumbprints.add(id.thumbprint);
    signers.set(keyOf(spec), s);
  }
  // The app's own signers: whoever signs its main programs (top-level .exe, a bundle's Contents/MacOS) — else whoever
  // signs the most modules — and whoever signed one of the same paths at another time (a vendor rename: Node.js
  // Foundation → OpenJS Foundation on bin/node.exe). Everyone else co-signs what they sign.
  const ranked = [...signers.values()].sort((a, b) => b.paths.size - a.paths.size);
  const main = ranked.filter((s) => [...s.paths].some(isMainProgram));
  const own = new Set<Seen>(main.length ? main : ranked.slice(0, 1));
  for (const s of ranked) if ([...own].some((o) => [...s.paths].some((p) => o.paths.has(p)))) own.add(s);
  const observed = (s: Seen): string =>
    `sealwatch history of ${app.name}: ${s.paths.size} module(s) (${[...s.paths].slice(0, 3).join(', ')}${s.paths.size > 3 ? ', …' : ''}); issuing CA ${[...s.issuers].join(' / ') || '?'}; ${s.thumbprints.size} leaf certificate(s)`;
  const policy: Record<string, unknown> = {
    name: `${app.name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '') || 'app'}-suggested`,
    description: `Suggested by \`sealwatch policy suggest\` from ${snapshots} snapshot(s) of ${app.name}, ${first} to ${last}. Review before use.`,
    match: { apps: [minimatch.escape(app.name)] },
  };
  if (own.size) policy.signers = [...own].map((s) => ({ ...s.spec, observed: observed(s) }));
  const co = ranked.filter((s) => !own.has(s));
  if (co.length) policy.co_signers = co.map((s) => ({ modules: [...new Set([...s.paths].map(baseName))].sort(), signers: [{ ...s.spec, observed: observed(s) }] }));
  if (unsigned.size) policy.unsigned = [...unsigned].sort().map((n) => minimatch.escape(n));
  const doc = new Document(policy);
  doc.commentBefore = [
    ` Starting policy for ${app.name} (sealwatch policy suggest): review it, then lint it (sealwatch policy lint FILE).`,
    ' Signers come only from trusted signatures seen in the history; pin issuers or leaf thumbprints where you can.',
    ...(untrusted.size ? [' Not allowed (their signatures were never trusted):', ...[...untrusted].slice(0, 20).map((u) => `   ${escapeTerminal(u)}`)] : []),
    ...(held.length ? [' Not suggested (they arrived with a high or critical finding still open: review it first, `sealwatch findings`):', ...held.slice(0, 20).map((u) => `   ${escapeTerminal(u)}`)] : []),
  ].join('\n');
  // Long lists stay in block style; short ones too, for diffs that read line by line.
  for (const key of ['signers', 'co_signers', 'unsigned']) {
    const node = doc.get(key, true);
    if (isSeq(node) || isMap(node)) node.flow = false;
  }
  return inert(doc);
}

/** Characters a terminal acts on that YAML would write as they are (it escapes C0 controls itself). */
const RAW_UNSAFE = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * The policy as text that is safe on a terminal and means exactly the same: names from the history (a file named
 * with a bidi override, a signer with ESC in its O=) go in double quotes, where those characters become \uXXXX.
 */
function inert(doc: Document): string {
  visit(doc, {
    Scalar(_key, node) {
      if (isScalar(node) && typeof node.value === 'string' && new RegExp(RAW_UNSAFE.source).test(node.value)) node.type = 'QUOTE_DOUBLE';
    },
  });
  return doc.toString({ lineWidth: 0 }).replace(RAW_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
