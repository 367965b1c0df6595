// The layering rules of ../shared/DESIGN.md, checked on the source: only formats/cms reads ASN.1 with pkijs/asn1js;
// formats/ and verify/ do no I/O and never read the clock (time is an argument).
import test from 'ava';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const daemon = resolve(import.meta.dirname, '..', '..', 'daemon');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const all = sources(daemon).map((p) => ({ path: relative(daemon, p), text: readFileSync(p, 'utf8') }));

test('only daemon/formats/cms imports pkijs or asn1js', (t) => {
  const offenders = all.filter((f) => /from '(pkijs|asn1js)'/.test(f.text) && !f.path.startsWith('formats/cms/'));
  t.deepEqual(offenders.map((f) => f.path), []);
  // The one DER reader (asn1js and pkijs are no longer needed at run time): formats/cms/asn1.ts.
  t.true(all.some((f) => f.path === 'formats/cms/asn1.ts' && /export function decode\(/.test(f.text)));
});

test('formats/, verify/, diff/ and detect/ do no file or network I/O and never read the clock', (t) => {
  const pure = all.filter((f) => ['formats/', 'verify/', 'diff/', 'detect/'].some((d) => f.path.startsWith(d)));
  t.true(pure.length > 10);
  for (const f of pure) {
    t.notRegex(f.text, /from 'node:(fs|fs\/promises|net|http|https|child_process)'/, `${f.path} does I/O`);
    t.notRegex(f.text, /Date\.now\(\)|new Date\(\)/, `${f.path} reads the clock`);
  }
});

test('only inventory/store writes SQL', (t) => {
  const offenders = all.filter((f) => /from 'node:sqlite'/.test(f.text) && !f.path.startsWith('inventory/store/'));
  t.deepEqual(offenders.map((f) => f.path), []);
});
