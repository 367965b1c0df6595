// `policy lint`: every class of schema error, and what the schema cannot say, reported with the file, the LINE, the
// field and the reason; exit 2 on errors, 0 with warnings only.
import test from 'ava';
import { readPolicyText, loadPolicies } from '../../daemon/policy/load.ts';
import { jsonLines, sealwatch } from '../helpers/cli.ts';
import { POLICIES_DIR, policyFile } from './helpers.ts';

const GOOD = `name: contoso
match:
  apps: [contoso]
signers:
  - organization: Contoso Ltd
`;

/** Each case: a policy text, and the one problem expected: [line, field, reason pattern]. */
const CASES: Array<[string, string, number, string, RegExp]> = [
  ['YAML syntax', 'name: contoso\nmatch:\n  apps: [contoso\n', 4, '(YAML)', /not valid YAML/],
  ['duplicate key (YAML)', 'name: a\nname: b\nmatch: {apps: [x]}\n', 2, '(YAML)', /not valid YAML: Map keys must be unique/],
  ['unknown top-level field', `${GOOD}sigers: []\n`, 6, 'sigers', /unknown field \(known: name, description, match, signers/],
  ['unknown nested field', 'name: a\nmatch:\n  apps: [x]\nsigners:\n  - organisation: Contoso\n', 5, 'signers[0].organisation', /unknown field \(known: organization, subject, team_id/],
  ['missing required field', 'match:\n  apps: [x]\n', 1, 'name', /is required/],
  ['missing exception owner', `${GOOD}exceptions:\n  - rule: NEW_MODULE\n    reason: known\n    expires: 2027-01-01\n`, 7, 'exceptions[0].owner', /is required/],
  ['wrong type', 'name: a\nmatch:\n  apps: x\n', 3, 'match.apps', /must be array/],
  ['severity not a severity', `${GOOD}severity:\n  NEW_MODULE: urgent\n`, 7, 'severity.NEW_MODULE', /must be one of info, low, medium, high, critical/],
  ['rule id not upper case', `${GOOD}severity:\n  new_module: low\n`, 7, 'severity.new_module', /not a rule id/],
  ['unknown rule id', `${GOOD}severity:\n  NEW_MODUL: low\n`, 7, 'severity.NEW_MODUL', /unknown rule NEW_MODUL/],
  ['unknown rule in an exception', `${GOOD}exceptions:\n  - rule: NO_SUCH_RULE\n    reason: r\n    owner: o\n    expires: 2027-01-01\n`, 7, 'exceptions[0].rule', /unknown rule NO_SUCH_RULE/],
  ['Team ID form', 'name: a\nmatch: {apps: [x]}\nsigners:\n  - team_id: ubf8t346g9\n', 4, 'signers[0].team_id', /Apple Team ID: 10 characters/],
  ['thumbprint form', 'name: a\nmatch: {apps: [x]}\nsigners:\n  - organization: A\n    thumbprints:\n      - abc\n', 6, 'signers[0].thumbprints[0]', /SHA-256: 64 hex digits/],
  ['expiry form', `${GOOD}exceptions:\n  - path: a.dll\n    reason: r\n    owner: o\n    expires: next week\n`, 10, 'exceptions[0].expires', /ISO 8601 date/],
  ['expiry not on the calendar', `${GOOD}exceptions:\n  - path: a.dll\n    reason: r\n    owner: o\n    expires: 2027-02-30\n`, 10, 'exceptions[0].expires', /"2027-02-30" is not a date on the calendar/],
  ['exception that names nothing', `${GOOD}exceptions:\n  - reason: r\n    owner: o\n    expires: 2027-01-01\n`, 7, 'exceptions[0]', /give at least one of rule, path or sha256/],
  ['empty match', 'name: a\nmatch: {}\n', 2, 'match', /must not be empty/],
  ['empty signer list', 'name: a\nmatch: {apps: [x]}\nsigners: []\n', 3, 'signers', /must NOT have fewer than 1 items/],
  ['empty signer', 'name: a\nmatch: {apps: [x]}\nsigners:\n  - {}\n', 4, 'signers[0]', /give at least one of organization, subject, team_id, issuer or thumbprints/],
  ['signer with only its provenance (it would match every signer)', 'name: a\nmatch: {apps: [x]}\nsigners:\n  - observed: Contoso on app.exe\n', 4, 'signers[0]', /observed is provenance: alone it would match every signer/],
  ['co-signer with only its provenance', 'name: a\nmatch: {apps: [x]}\nco_signers:\n  - modules: [a.dll]\n    signers:\n      - observed: x\n', 6, 'co_signers[0].signers[0]', /give at least one of organization/],
  ['name form', 'name: "my policy"\nmatch: {apps: [x]}\n', 1, 'name', /letters, digits/],
  ['not a mapping', '- just\n- a list\n', 1, '(top level)', /must be object/],
  ['empty file', '', 1, '(top level)', /must be object/],
  ['only a comment', '# nothing here\n', 1, '(top level)', /must be object/],
];

for (const [what, text, line, field, reason] of CASES) {
  test(`lint: ${what} → line ${line}, ${field}`, (t) => {
    const { policy, problems } = readPolicyText('/p/x.yaml', text);
    t.is(policy, undefined);
    t.true(problems.length >= 1);
    const p = problems[0];
    t.like(p, { level: 'error', file: '/p/x.yaml', line, field }, JSON.stringify(problems));
    t.regex(p?.reason ?? '', reason);
  });
}

test('lint: a floor a policy tries to lower, or to except, is a warning (the policy still loads; the floor holds)', (t) => {
  const { policy, problems } = readPolicyText('/p/x.yaml', `${GOOD}severity:\n  UNAUTHENTICATED_DATA: low\nexceptions:\n  - rule: SIGNATURE_INVALID\n    reason: r\n    owner: o\n    expires: 2027-01-01\n`);
  t.truthy(policy);
  t.deepEqual(problems.map((p) => [p.level, p.line, p.field]), [['warning', 7, 'severity.UNAUTHENTICATED_DATA'], ['warning', 9, 'exceptions[0].rule']]);
});

test('lint: two files defining one policy name → the second is named at the line of its name', (t) => {
  const a = policyFile(GOOD, 'a.yaml');
  const b = policyFile(`# another\n${GOOD}`, 'b.yaml');
  const { policies, problems } = loadPolicies([a, b]);
  t.is(policies.length, 1);
  t.deepEqual(problems.map((p) => [p.file, p.line, p.field]), [[b, 2, 'name']]);
  t.regex(problems[0]?.reason ?? '', new RegExp(`also defined in ${a.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
});

test('sealwatch policy lint: FILE:LINE: error: FIELD: REASON for every problem of every file, exit 2; the shipped policies lint clean (exit 0)', async (t) => {
  const bad = policyFile('name: a\nmatch:\n  apps: [x]\nsigners:\n  - team_id: nope\nseverity:\n  NEW_MODULE: urgent\n');
  const missing = '/nonexistent/policy.yaml';
  const r = await sealwatch(['policy', 'lint', bad, missing]);
  t.is(r.code, 2, r.stderr);
  const lines = r.stdout.trim().split('\n');
  t.deepEqual(lines.slice(0, 3), [
    `${bad}:5: error: signers[0].team_id: must be an Apple Team ID: 10 characters, A–Z and 0–9`,
    `${bad}:7: error: severity.NEW_MODULE: must be one of info, low, medium, high, critical`,
    `${missing}:?: error: (file): cannot be read: ENOENT: no such file or directory, stat '${missing}'`,
  ]);
  t.is(lines.at(-1), '0 policies read; 3 errors, 0 warnings');
  const json = jsonLines((await sealwatch(['policy', 'lint', '--json', bad])).stdout);
  t.deepEqual(json.map((p) => [p.line, p.field]), [[5, 'signers[0].team_id'], [7, 'severity.NEW_MODULE']]);
  const shipped = await sealwatch(['policy', 'lint']);
  t.is(shipped.code, 0, shipped.stdout);
  t.regex(shipped.stdout, /^3 policies read; 0 errors, 0 warnings$/m);
  t.is((await sealwatch(['policy', 'lint', `${POLICIES_DIR}/examples`])).code, 0);
});

test('sealwatch scan --policy with an error refuses to scan (exit 2) and names file and line', async (t) => {
  const bad = policyFile('name: a\nmatch:\n  apps: [x]\nunsigned: "*.node"\n');
  const r = await sealwatch(['scan', POLICIES_DIR, '--app', 'x', '--db', `${policyFile('')}.db`, '--policy', bad]);
  t.is(r.code, 2);
  t.regex(r.stderr, new RegExp(`^${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:4: error: unsigned: must be array\n1 policy error \\(above\\): nothing was scanned or judged`, 'm'));
});

test('lint: a policy that allows far more than meant is warned about, field by field (it still loads)', (t) => {
  const { policy, problems } = readPolicyText('/p/broad.yaml', `name: broad
match:
  apps: ["*"]
  paths: ['C:\\Program Files\\Contoso']
signers:
  - subject: "*"
  - organization: "Microsoft*"
  - organization: Contoso Ltd
    issuer: "*"
co_signers:
  - modules: ["**"]
    signers: [{issuer: "*"}]
unsigned: ["**", helper.exe]
severity:
  SIGNER_IMPOSTOR: info
  NEW_MODULE: low
exceptions:
  - {path: "**/*", reason: r, owner: o, expires: 2099-01-01}
  - {rule: SIGNER_IMPOSTOR, reason: r, owner: o, expires: 2099-01-01}
  - {rule: NEW_MODULE, path: "**", reason: r, owner: o, expires: 2099-01-01}
`);
  t.truthy(policy, 'warnings only');
  t.deepEqual(problems.map((p) => [p.level, p.field]).sort(), [
    ['warning', 'co_signers[0].modules[0]'],
    ['warning', 'co_signers[0].signers[0].issuer'],
    ['warning', 'exceptions[0].path'],
    ['warning', 'exceptions[1].rule'],
    ['warning', 'match.apps[0]'],
    ['warning', 'match.paths[0]'],
    ['warning', 'severity.SIGNER_IMPOSTOR'],
    ['warning', 'signers[0].subject'],
    ['warning', 'signers[1].organization'],
    ['warning', 'unsigned[0]'],
  ]);
  t.regex(problems.find((p) => p.field === 'match.paths[0]')?.reason ?? '', /write \/ separators/);
});
