// The policy schema's validator is generated ahead of time (scripts/policy-validator.ts): it must be in step with
// policies/policy.schema.json and report exactly what ajv compiling the schema at run time reports.
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { parse } from 'yaml';
import { validate as generated } from '../../daemon/policy/policy-validator.gen.ts';
import { AJV_OPTIONS, POLICY_VALIDATOR_FILE, policyValidatorSource } from '../../scripts/lib/policy-validator.ts';
import { POLICY_SCHEMA_FILE } from '../../daemon/policy/load.ts';

test('the generated validator is in step with the schema (else: node scripts/policy-validator.ts)', (t) => {
  t.is(readFileSync(POLICY_VALIDATOR_FILE, 'utf8'), policyValidatorSource());
});

const root = join(import.meta.dirname, '..', '..', 'policies');
const shipped = [...readdirSync(root), ...readdirSync(join(root, 'examples')).map((f) => join('examples', f))].filter((f) => f.endsWith('.yaml'));
const wrong: unknown[] = [
  {},
  { name: '', match: {} },
  { name: 'x', match: { apps: ['a'] }, surprise: 1, severity: { 'not a rule': 'high', NEW_MODULE: 'severe' } },
  { name: 'x', match: { apps: ['a'] }, exceptions: [{ reason: '', owner: 'me', expires: '2026-13' }, { rule: 'NEW_MODULE' }] },
  { name: 'x', match: { apps: ['a'] }, signers: [{ team_id: 'short', thumbprints: ['00'] }], co_signers: [{ modules: [] }] },
  { name: 'x', match: { apps: 'a' }, unsigned: [''] },
  { name: 'x\u{1F600}', match: { apps: ['a'] } },
];

const validate = generated as unknown as ValidateFunction;

test('the generated validator accepts and refuses what a run-time ajv compile does, with the same errors', (t) => {
  const compiled = new Ajv(AJV_OPTIONS).compile(JSON.parse(readFileSync(POLICY_SCHEMA_FILE, 'utf8')) as object);
  t.true(shipped.length >= 3);
  const docs = [...shipped.map((f) => parse(readFileSync(join(root, f), 'utf8')) as unknown), ...wrong];
  let refused = 0;
  for (const doc of docs) {
    const ok = compiled(doc);
    t.is(validate(doc), ok, JSON.stringify(doc));
    t.deepEqual(validate.errors ?? null, compiled.errors ?? null, JSON.stringify(doc));
    if (!ok) refused++;
  }
  t.is(refused, wrong.length, 'every wrong document is refused');
});
