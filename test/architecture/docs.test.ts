// Every problem code, error code and exit code the code can produce is documented in the README.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ExitCode } from '../../daemon/cli/exit-codes.ts';
import { PROBLEMS } from '../../daemon/verify/problems.ts';

const readme = readFileSync(resolve(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
const errorsTs = readFileSync(resolve(import.meta.dirname, '..', '..', 'daemon', 'shared', 'errors.ts'), 'utf8');

test('every problem code is in the README table with its severity', (t) => {
  for (const [code, severity] of Object.entries(PROBLEMS)) {
    t.regex(readme, new RegExp(`\\| \`${code}\`[^|]*\\| ${severity} \\|`), `${code} (${severity}) is not documented`);
  }
});

test('every typed error code and exit code is documented', (t) => {
  const codes = [...errorsTs.matchAll(/\| '([A-Z_0-9]+)'/g)].map((m) => m[1] ?? '');
  t.true(codes.length >= 8);
  for (const c of codes) t.true(readme.includes(`\`${c}\``), `error code ${c} is not in the README`);
  for (const n of Object.values(ExitCode)) t.regex(readme, new RegExp(`\\n\\| ${n} \\|`), `exit code ${n}`);
});

test('the README detection-rule table is the rule table: every rule with its severities and its baseline behaviour', async (t) => {
  const { RULES } = await import('../../daemon/detect/rule-table.ts');
  const rows = new Map([...readme.matchAll(/^\| `([A-Z_]+)` \| (.+) \| (.+) \| (.+) \|$/gm)].map((m) => [m[1], { fires: m[2], severity: m[3], baseline: m[4] }]));
  for (const [id, spec] of Object.entries(RULES)) {
    const row = rows.get(id);
    t.truthy(row, `${id} is not in the README rule table`);
    const severities = [spec.severity, ...Object.entries(spec.variants ?? {}).map(([k, v]) => `${v} (${k})`)].join('; ');
    t.is(row?.severity, severities, id);
    t.is(row?.fires, spec.firesWhen, id);
    t.is(row?.baseline, spec.notOnBaseline ? 'not raised' : spec.kind === 'fact' ? 'own severity' : 'info', id);
  }
});
