// Writes daemon/policy/shipped-policies.gen.ts (the shipped policies, parsed ahead of time; scripts/lib/policy-cache.ts).
// `--check`: exit 1 when the file is out of date (test/policy/fast-load.test.ts does the same).
import { readFileSync, writeFileSync } from 'node:fs';
import { POLICY_CACHE_FILE, policyCacheSource } from './lib/policy-cache.ts';

const text = policyCacheSource();
if (process.argv.includes('--check')) {
  if (readFileSync(POLICY_CACHE_FILE, 'utf8') !== text) {
    process.stderr.write(`${POLICY_CACHE_FILE} is out of date: run node scripts/policy-cache.ts\n`);
    process.exit(1);
  }
} else {
  writeFileSync(POLICY_CACHE_FILE, text);
  process.stdout.write(`wrote ${POLICY_CACHE_FILE}\n`);
}
