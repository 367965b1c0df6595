// Writes daemon/policy/shipped-policies.gen.ts (the shipped policies, parsed ahead of time; scripts/lib/policy-cache.ts).
// `--check`: exit 1 when the file is out of date (test/policy/fast-load.test.ts does the same).
import { writeOrCheck } from './lib/generated-file.ts';
import { POLICY_CACHE_FILE, policyCacheSource } from './lib/policy-cache.ts';

writeOrCheck(POLICY_CACHE_FILE, policyCacheSource(), 'node scripts/policy-cache.ts');
