// Where policies come from — the config's `policies:` (relative to the config file), `scan --policy FILE|DIR`, the
// shipped policies/ — and the policy code's purity: the stage never reads the clock, and only the loaders read files.
import test from 'ava';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfig } from '../../daemon/config/config.ts';
import { SealwatchError } from '../../daemon/shared/errors.ts';
import { put } from '../../scripts/lib/three-cx.ts';
import { sealwatch } from '../helpers/cli.ts';
import { realCorpusPath } from '../helpers/real-corpus.ts';
import { namedRoot, policyFile } from './helpers.ts';

const TERM = 'name: term-policy\nmatch:\n  apps: [term]\nsigners:\n  - organization: Microsoft Corporation\nseverity:\n  NEW_UNSIGNED_MODULE: critical\n';

test('config policies: files and directories relative to the config, loaded with the shipped ones; an error names the policy file and line', (t) => {
  const policy = policyFile(TERM, 'term.yaml');
  const dir = resolve(policy, '..');
  const config = join(dir, 'sealwatch.yaml');
  writeFileSync(config, 'apps:\n  - name: term\n    path: /opt/term\npolicies:\n  - ./term.yaml\n');
  const c = loadConfig(config, {});
  t.deepEqual(c.policies?.map((p) => p.name).sort(), ['microsoft-msal-runtime', 'microsoft-vc-runtime', 'nodejs', 'term-policy']);
  t.is(c.policies?.find((p) => p.name === 'term-policy')?.file, policy);

  writeFileSync(policy, `${TERM}exceptions:\n  - rule: NEW_MODULE\n    owner: o\n    expires: 2027-01-01\n`);
  const err = t.throws(() => loadConfig(config, {}), { instanceOf: SealwatchError });
  t.is((err as SealwatchError).code, 'CONFIG');
  t.regex(err?.message ?? '', new RegExp(`^config ${config.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: line 5: policies: policy errors:\\n${policy.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:9: error: exceptions\\[0\\]\\.reason: is required$`));
});

test('scan --policy DIR through the CLI: the policy acts, and --json says what it did on each finding', async (t) => {
  const dir = resolve(policyFile(TERM, 'term.yaml'), '..');
  const root = namedRoot('term');
  const db = join(resolve(policyFile('', 'x'), '..'), 'h.db');
  put(root, 'conpty.dll', readFileSync(realCorpusPath('conpty')));
  const base = await sealwatch(['scan', root, '--app', 'term', '--app-version', '1.0.0', '--db', db, '--policy', dir, '--json']);
  t.is(base.code, 0, base.stderr);
  put(root, 'pty.node', readFileSync(realCorpusPath('pty-node')));
  const r = await sealwatch(['scan', root, '--app', 'term', '--app-version', '1.1.0', '--db', db, '--policy', dir, '--json']);
  t.is(r.code, 1);
  const out = JSON.parse(r.stdout) as { findings: Array<{ rule: string; severity: string; path: string; policy?: { file: string; rule?: string; action: string } }> };
  t.deepEqual(out.findings.filter((f) => f.path === 'pty.node').map((f) => [f.rule, f.severity, f.policy?.action, f.policy?.rule]), [
    ['NEW_UNSIGNED_MODULE', 'critical', 'severity', 'severity.NEW_UNSIGNED_MODULE'],
    ['UNEXPECTED_SIGNER', 'high', 'raised', 'signers'],
  ]);
  t.is(out.findings[0]?.policy?.file, join(dir, 'term.yaml'));
  const human = await sealwatch(['findings', '--app', 'term', '--db', db, '--json']);
  t.regex(human.stdout, /"policy":\{"file":"[^"]*term\.yaml","policy":"term-policy","entry":"severity\.NEW_UNSIGNED_MODULE","action":"severity","from":\{"severity":"high","explained":false\}\}/);
});

test('daemon/policy: the stage never reads the clock; only the loaders (load.ts, fast-load.ts, files.ts) read files', (t) => {
  const dir = resolve(import.meta.dirname, '..', '..', 'daemon', 'policy');
  const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));
  t.true(files.length >= 8);
  for (const f of files) {
    const text = readFileSync(join(dir, f), 'utf8');
    t.notRegex(text, /Date\.now\(\)|new Date\(\)/, `${f} reads the clock`);
    if (!['load.ts', 'fast-load.ts', 'files.ts'].includes(f)) t.notRegex(text, /from 'node:(fs|fs\/promises|net|http|https|child_process)'/, `${f} does I/O`);
  }
});
