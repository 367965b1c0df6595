// The policy stage's precedence (policies/README.md): floors, exceptions (until their expiry, judged at an injected
// time), allowances, overrides that raise as easily as lower — pure on findings, and end to end on real binaries.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { flipByte, hidePayloadInCertificateEntry } from '../../scripts/lib/pe-mutate.ts';
import { put } from '../../scripts/lib/three-cx.ts';
import { applyPolicies, withoutPolicies } from '../../daemon/policy/apply.ts';
import { readPolicyText } from '../../daemon/policy/load.ts';
import { recognises } from '../../daemon/policy/match.ts';
import { type Policy } from '../../daemon/policy/types.ts';
import { type Finding, type RuleId, type Severity } from '../../daemon/shared/findings.ts';
import { realCorpusPath } from '../helpers/real-corpus.ts';
import { namedRoot, policiesFrom, policyFile, policyHarness } from './helpers.ts';

function policy(text: string, file = '/policies/p.yaml'): Policy {
  const { policy: p, problems } = readPolicyText(file, text);
  if (!p) throw new Error(JSON.stringify(problems));
  return p;
}

const finding = (rule: RuleId, severity: Severity, path = 'a.dll'): Finding => ({ rule, severity, path, message: `${rule} at ${path}`, evidence: { after: { sha256: 'ab'.repeat(32) } }, explained: false });
const APP = { name: 'contoso', root: '/opt/contoso', publishers: new Set<string>() };
const at = new Date('2026-11-01T00:00:00Z');
const run = (policies: Policy[], findings: Finding[], when = at): Finding[] => applyPolicies(findings, { policies, app: APP, changes: [], baseline: false, at: when });
const pick = (fs: Finding[]): Array<[string, string, boolean, string]> => fs.map((f) => [f.rule, f.severity, f.explained, f.policy?.action ?? '']);

test('overrides raise as easily as lower; the highest of several policies wins; an unrecognised app is untouched', (t) => {
  const a = policy('name: a\nmatch: {apps: [contoso]}\nseverity:\n  NEW_CAPABILITIES: critical\n  NEW_MODULE: low\n');
  const b = policy('name: b\nmatch: {apps: [cont*]}\nseverity:\n  NEW_MODULE: medium\n', '/policies/b.yaml');
  const out = run([a, b], [finding('NEW_CAPABILITIES', 'medium'), finding('NEW_MODULE', 'high', 'b.dll')]);
  t.deepEqual(pick(out), [['NEW_CAPABILITIES', 'critical', false, 'severity'], ['NEW_MODULE', 'medium', false, 'severity']]);
  t.is(out[1]?.policy?.file, '/policies/b.yaml');
  const other = applyPolicies([finding('NEW_MODULE', 'high')], { policies: [a], app: { ...APP, name: 'fabrikam' }, changes: [], baseline: false, at });
  t.deepEqual(pick(other), [['NEW_MODULE', 'high', false, '']]);
});

test('floors: no override, exception or allowance lowers UNAUTHENTICATED_DATA or SIGNATURE_INVALID below high, or explains them; raising works', (t) => {
  const lowering = policy(`name: lowering
match: {apps: [contoso]}
severity:
  UNAUTHENTICATED_DATA: info
  SIGNATURE_INVALID: low
exceptions:
  - {rule: UNAUTHENTICATED_DATA, reason: r, owner: o, expires: 2030-01-01}
  - {path: a.dll, reason: r, owner: o, expires: 2030-01-01}
  - {sha256: "${'ab'.repeat(32)}", reason: r, owner: o, expires: 2030-01-01}
`);
  const out = run([lowering], [finding('UNAUTHENTICATED_DATA', 'critical'), finding('SIGNATURE_INVALID', 'critical'), finding('NEW_MODULE', 'high')]);
  t.deepEqual(pick(out), [
    ['UNAUTHENTICATED_DATA', 'high', false, 'floor'],
    ['SIGNATURE_INVALID', 'high', false, 'floor'],
    ['NEW_MODULE', 'info', true, 'exception'],
  ]);
  t.is(out[0]?.policy?.reason, 'UNAUTHENTICATED_DATA cannot be lowered below high');
  // raising a floor rule is allowed (a team may want SIGNATURE_INVALID … it is already critical: raise a high one)
  const raising = policy('name: raising\nmatch: {apps: [contoso]}\nseverity:\n  SIGNATURE_INVALID: critical\n');
  t.deepEqual(pick(run([raising], [finding('SIGNATURE_INVALID', 'high')])), [['SIGNATURE_INVALID', 'critical', false, 'severity']]);
  // and withoutPolicies restores what detection said
  t.deepEqual(pick(withoutPolicies(out)), [['UNAUTHENTICATED_DATA', 'critical', false, ''], ['SIGNATURE_INVALID', 'critical', false, ''], ['NEW_MODULE', 'high', false, '']]);
});

test('an exception applies until its expiry instant and not at it; the expired one is reported (EXCEPTION_EXPIRED, info)', (t) => {
  const p = policy('name: e\nmatch: {apps: [contoso]}\nexceptions:\n  - {rule: NEW_MODULE, path: "*.dll", reason: vendor hotfix, owner: alice, expires: 2026-12-01}\n');
  const before = run([p], [finding('NEW_MODULE', 'high')], new Date('2026-11-30T23:59:59.999Z'));
  t.deepEqual(pick(before), [['NEW_MODULE', 'info', true, 'exception']]);
  const on = run([p], [finding('NEW_MODULE', 'high')], new Date('2026-12-01T00:00:00Z'));
  t.deepEqual(pick(on), [['NEW_MODULE', 'high', false, ''], ['EXCEPTION_EXPIRED', 'info', false, 'expired']]);
  t.is(on[1]?.message, 'policy e: the exception for NEW_MODULE *.dll (owner alice: vendor hotfix) expired on 2026-12-01 and no longer applies');
});

test('recognition: every criterion given must hold (apps, paths, bundle ids, publishers); a list holds when any entry does', (t) => {
  const p = policy('name: r\nmatch:\n  apps: [contoso, "fab*"]\n  paths: ["**/Contoso*"]\n  publishers: [Contoso Ltd, CONTOSO123]\n');
  const app = (name: string, root: string, publishers: string[], bundleId?: string) => ({ name, root, publishers: new Set(publishers), bundleId });
  t.true(recognises(p, app('contoso', 'C:\\Program Files\\Contoso Chat', ['Contoso Ltd'])));
  t.true(recognises(p, app('fabrikam', '/Applications/Contoso.app', ['CONTOSO123'])));
  t.false(recognises(p, app('contoso', '/opt/other', ['Contoso Ltd'])), 'path');
  t.false(recognises(p, app('contoso', '/opt/contoso', ['Other Ltd'])), 'publisher');
  t.false(recognises(p, app('other', '/opt/contoso', ['Contoso Ltd'])), 'name');
  const b = policy('name: b\nmatch:\n  bundle_ids: [com.contoso.chat]\n');
  t.true(recognises(b, app('x', '/x', [], 'com.contoso.chat')));
  t.false(recognises(b, app('x', '/x', [], 'com.contoso.chat.helper')));
});

test('end to end, real DLLs: a policy that tries to lower, except and co-sign away hidden data and a broken signature leaves both at high or above, unexplained', async (t) => {
  const file = policyFile(`name: floors
match: {apps: [term]}
signers:
  - organization: Microsoft Corporation
co_signers:
  - modules: [d3dcompiler_47.dll]
    signers: [{organization: Microsoft Corporation}]
severity:
  UNAUTHENTICATED_DATA: info
  SIGNATURE_INVALID: medium
exceptions:
  - {rule: UNAUTHENTICATED_DATA, reason: "we trust Microsoft", owner: o, expires: 2030-01-01}
  - {path: "*.dll", reason: "everything", owner: o, expires: 2030-01-01}
`);
  const h = policyHarness(policiesFrom(file));
  try {
    const root = namedRoot('term');
    const vc = readFileSync(realCorpusPath('vcruntime140'));
    put(root, 'd3dcompiler_47.dll', vc);
    put(root, 'conpty.dll', readFileSync(realCorpusPath('conpty')));
    await h.scan('term', root, { appVersion: '1.0.0' });
    put(root, 'd3dcompiler_47.dll', hidePayloadInCertificateEntry(vc, Buffer.concat([Buffer.from('feedface', 'hex'), Buffer.alloc(2048, 9)])));
    const conpty = readFileSync(realCorpusPath('conpty'));
    put(root, 'conpty.dll', flipByte(conpty, 0x400));
    const r = await h.scan('term', root, { appVersion: '1.0.1' });
    const facts = r.findings.filter((f) => f.rule === 'UNAUTHENTICATED_DATA' || f.rule === 'SIGNATURE_INVALID').map((f) => [f.rule, f.path, f.severity, f.explained]);
    t.deepEqual(facts.sort(), [['SIGNATURE_INVALID', 'conpty.dll', 'high', false], ['UNAUTHENTICATED_DATA', 'd3dcompiler_47.dll', 'high', false]]);
    t.true(r.findings.filter((f) => f.severity === 'high').length >= 2);
  } finally {
    await h.close();
  }
});

test('end to end, real DLLs: a publisher policy applies from what the app held before; a genuine module planted by an update does not bring its publisher\'s policy to explain it', async (t) => {
  const policies = policiesFrom(policyFile('name: ms\nmatch: {publishers: [Microsoft Corporation]}\nsigners:\n  - organization: Microsoft Corporation\n'));
  const planted = async (app: string, before: Record<string, Buffer>): Promise<Finding | undefined> => {
    const h = policyHarness(policies);
    try {
      const root = namedRoot(app);
      for (const [name, bytes] of Object.entries(before)) put(root, name, bytes);
      await h.scan(app, root, { appVersion: '1.0.0' });
      put(root, 'helper.dll', readFileSync(realCorpusPath('vcruntime140')));
      return (await h.scan(app, root, { appVersion: '1.0.0' })).findings.find((f) => f.path === 'helper.dll' && f.rule === 'NEW_MODULE');
    } finally {
      await h.close();
    }
  };
  const intoOther = await planted('other-vendor', { 'pty.node': readFileSync(realCorpusPath('pty-node')) });
  t.like(intoOther, { severity: 'high', explained: false });
  t.is(intoOther?.policy, undefined, 'the Microsoft policy does not recognise an app that had no Microsoft module');
  const intoMicrosoft = await planted('ms-app', { 'conpty.dll': readFileSync(realCorpusPath('conpty')) });
  t.like(intoMicrosoft, { severity: 'info', explained: true, policy: { action: 'expected-signer' } });
});

test('end to end, injected clock: an exception by sha256 quiets a new unsigned module until its date, and from that date on no longer does', async (t) => {
  const pty = readFileSync(realCorpusPath('pty-node'));
  const sha = (await import('node:crypto')).createHash('sha256').update(pty).digest('hex');
  const file = policyFile(`name: clock
match: {apps: ["term-*"]}
exceptions:
  - {sha256: "${sha}", reason: "node-pty addon, unsigned upstream", owner: desktop-team, expires: "2026-11-15T12:00:00Z"}
`);
  const policies = policiesFrom(file);
  const scanAt = async (app: string, when: string): Promise<Finding[]> => {
    const h = policyHarness(policies);
    try {
      const root = namedRoot(app);
      put(root, 'conpty.dll', readFileSync(realCorpusPath('conpty')));
      await h.scan(app, root, { appVersion: '1.0.0', at: new Date('2026-11-01T00:00:00Z') });
      put(root, 'pty.node', pty);
      return [...(await h.scan(app, root, { appVersion: '1.1.0', at: new Date(when) })).findings];
    } finally {
      await h.close();
    }
  };
  const before = await scanAt('term-a', '2026-11-15T11:59:59.999Z');
  t.like(before.find((f) => f.path === 'pty.node'), { rule: 'NEW_UNSIGNED_MODULE', severity: 'info', explained: true, policy: { action: 'exception' } });
  t.false(before.some((f) => f.rule === 'EXCEPTION_EXPIRED'));
  const after = await scanAt('term-b', '2026-11-15T12:00:00Z');
  t.like(after.find((f) => f.path === 'pty.node'), { rule: 'NEW_UNSIGNED_MODULE', severity: 'high', explained: false });
  t.like(after.find((f) => f.rule === 'EXCEPTION_EXPIRED'), { severity: 'info', evidence: { owner: 'desktop-team', expires: '2026-11-15T12:00:00Z' } });
});

test('identity: the vendor\'s own expired leaf (a chain to a trusted root, failing only on time) still names the vendor; a self-made certificate does not', async (t) => {
  const { peFixture, peFixtureTrustDir } = await import('../../scripts/lib/fixtures.ts');
  const file = policyFile('name: contoso\nmatch: {apps: [contoso]}\nsigners:\n  - organization: Contoso Test Ltd\n');
  const h = policyHarness(policiesFrom(file), [peFixtureTrustDir()]);
  try {
    const root = namedRoot('contoso');
    put(root, 'good.dll', readFileSync(peFixture('good.dll')));
    put(root, 'old.exe', readFileSync(peFixture('expired-no-timestamp.exe')));
    put(root, 'rogue.exe', readFileSync(peFixture('rogue-root.exe')));
    const r = await h.scan('contoso', root, { appVersion: '1.0.0' });
    t.deepEqual(r.findings.filter((f) => f.rule === 'UNEXPECTED_SIGNER').map((f) => f.path), ['rogue.exe']);
  } finally {
    await h.close();
  }
});
