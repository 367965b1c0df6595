// Writes daemon/policy/policy-validator.gen.ts (ajv standalone code for policies/policy.schema.json).
// `--check`: exit 1 when the file is out of date (test/policy/validator.test.ts does the same).
import { writeOrCheck } from './lib/generated-file.ts';
import { POLICY_VALIDATOR_FILE, policyValidatorSource } from './lib/policy-validator.ts';

writeOrCheck(POLICY_VALIDATOR_FILE, policyValidatorSource(), 'node scripts/policy-validator.ts');
