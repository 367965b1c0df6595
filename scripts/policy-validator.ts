// Writes daemon/policy/policy-validator.gen.ts (ajv standalone code for policies/policy.schema.json).
// `--check`: exit 1 when the file is out of date (test/policy/validator.test.ts does the same).
import { readFileSync, writeFileSync } from 'node:fs';
import { POLICY_VALIDATOR_FILE, policyValidatorSource } from './lib/policy-validator.ts';

const text = policyValidatorSource();
if (process.argv.includes('--check')) {
  if (readFileSync(POLICY_VALIDATOR_FILE, 'utf8') !== text) {
    process.stderr.write(`${POLICY_VALIDATOR_FILE} is out of date: run node scripts/policy-validator.ts\n`);
    process.exit(1);
  }
} else {
  writeFileSync(POLICY_VALIDATOR_FILE, text);
  process.stdout.write(`wrote ${POLICY_VALIDATOR_FILE}\n`);
}
