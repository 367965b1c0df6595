// Signer specs on real signed files (test/corpus/REAL.md): organisation, issuing CA family, pinned leaf thumbprints,
// Apple Team ID, subject — every field given must match, and only a trusted identity matches at all.
import test from 'ava';
import { join } from 'node:path';
import { summarise } from '../../daemon/diff/summary.ts';
import { readPolicyText } from '../../daemon/policy/load.ts';
import { allowance, signerMatches, trustedIdentity } from '../../daemon/policy/match.ts';
import { type SignerSpec } from '../../daemon/policy/types.ts';
import { context, inspectFile } from '../helpers/inspect.ts';
import { realAppPath, realCorpusPath } from '../helpers/real-corpus.ts';

const ctx = context();
const summary = (path: string, rel: string) => summarise(rel, inspectFile(path, ctx));
const node22 = summary(join(realAppPath('node-win-22.23.2'), 'bin', 'node.exe'), 'bin/node.exe');
const node223 = summary(join(realAppPath('node-win-22.23.3'), 'bin', 'node.exe'), 'bin/node.exe');
const dylib = summary(realCorpusPath('msal-dylib'), 'libmsalruntime_arm64.dylib');
const pty = summary(realCorpusPath('pty-node'), 'pty.node');
const matches = (m: ReturnType<typeof summary>, spec: SignerSpec): boolean => {
  const id = trustedIdentity(m);
  return id !== undefined && signerMatches(id, spec);
};

test('organisation and issuing CA family: Trusted Signing alternates AOC and EOC CAs (22.23.2, 22.23.3); a DigiCert-only policy matches neither', (t) => {
  t.true(matches(node22, { organization: 'OpenJS Foundation', issuer: 'Microsoft ID Verified CS ?OC CA 0?' }));
  t.true(matches(node223, { organization: 'OpenJS Foundation', issuer: 'Microsoft ID Verified CS ?OC CA 0?' }));
  t.false(matches(node22, { organization: 'OpenJS Foundation', issuer: 'DigiCert*' }));
  t.false(matches(node22, { organization: 'Node.js Foundation' }));
  t.false(matches(node22, { organization: 'openjs foundation' }), 'organisation is exact');
});

test('pinned leaf thumbprints: the 22.23.2 leaf pins 22.23.2 and not 22.23.3 (Trusted Signing leaves live three days)', (t) => {
  const pin = { organization: 'OpenJS Foundation', thumbprints: ['6D79C085E685AAC5B01EC9EE539185E3E1EAC61AB357E231644D1508C1F61759'] };
  t.true(matches(node22, pin), 'case-insensitive hex');
  t.false(matches(node223, pin));
});

test('Apple Team ID and subject on the real msal dylib; the organisation comes from the trusted leaf\'s O=', (t) => {
  t.true(matches(dylib, { team_id: 'UBF8T346G9' }));
  t.true(matches(dylib, { team_id: 'UBF8T346G9', organization: 'Microsoft Corporation' }));
  t.true(matches(dylib, { subject: '3rd Party Mac Developer Application: Microsoft Corporation (*)' }));
  t.false(matches(dylib, { team_id: 'HX7739G8FX' }));
});

test('allowance: an unsigned module only through `unsigned`, by file name anywhere or by path', (t) => {
  const { policy } = readPolicyText('/p.yaml', 'name: p\nmatch: {apps: [x]}\nsigners: [{organization: OpenJS Foundation}]\nunsigned: ["prebuilds/**/*.node"]\n');
  if (!policy) throw new Error('policy');
  t.is(trustedIdentity(pty), undefined);
  t.is(allowance([policy], 'pty.node', pty), undefined, 'the pattern has a slash: the whole path must match');
  t.like(allowance([policy], 'prebuilds/win32-x64/pty.node', pty), { action: 'allowed-unsigned', entry: 'unsigned[0]' });
  t.like(allowance([policy], 'bin/node.exe', node22), { action: 'expected-signer', entry: 'signers[0]' });
  t.is(allowance([policy], 'prebuilds/win32-x64/node.exe.node', node22)?.action, 'expected-signer', 'a signed module is judged by its signer, not by `unsigned`');
});

test('a signer spec that names no identity (only observed: provenance) matches no signer, even where the schema is bypassed', (t) => {
  t.false(matches(node22, { observed: 'OpenJS Foundation on bin/node.exe' } as SignerSpec));
  t.false(matches(node22, {} as SignerSpec));
  t.true(matches(node22, { organization: 'OpenJS Foundation', observed: 'bin/node.exe' } as SignerSpec));
});
