// Writes config/mdm/com.sealwatch.agent.jamf.json (Jamf Pro custom schema) from config/sealwatch.schema.json.
// `--check`: exit 1 when the file is out of date (test/config/mdm-schema.test.ts does the same).
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { jamfCustomSchemaText } from '../daemon/config/mdm-schema.ts';

export const JAMF_SCHEMA_FILE = resolve(import.meta.dirname, '..', 'config', 'mdm', 'com.sealwatch.agent.jamf.json');

const text = jamfCustomSchemaText();
if (process.argv.includes('--check')) {
  const current = readFileSync(JAMF_SCHEMA_FILE, 'utf8');
  if (current !== text) {
    process.stderr.write(`${JAMF_SCHEMA_FILE} is out of date: run node scripts/mdm-schema.ts\n`);
    process.exit(1);
  }
} else {
  writeFileSync(JAMF_SCHEMA_FILE, text);
  process.stdout.write(`wrote ${JAMF_SCHEMA_FILE}\n`);
}
