// Imports point down only: daemon/ never imports scripts/ or test/, scripts/ never imports test/ (what scripts and
// tests share lives in scripts/lib), and bin/ holds plain JavaScript.
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..', '..');

function sources(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.(ts|cjs|js|mjs)$/.test(e.name))
    .map((e) => join(e.parentPath, e.name));
}

/** Every relative module specifier of a file (static imports, re-exports, import()), resolved to a project path. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)'(\.{1,2}\/[^']+)'/g)].map((m) => m[1] ?? '');
  return specs.map((s) => relative(root, resolve(file, '..', s)));
}

test('daemon/ imports neither scripts/ nor test/; scripts/ does not import test/', (t) => {
  const offenders: string[] = [];
  for (const [dir, banned] of [['daemon', /^(scripts|test)\//], ['scripts', /^test\//]] as const) {
    for (const file of sources(dir)) {
      for (const target of importsOf(file)) if (banned.test(target)) offenders.push(`${relative(root, file)} → ${target}`);
    }
  }
  t.deepEqual(offenders, []);
  // The check sees imports at all: scripts/demo.ts imports scripts/lib.
  t.true(importsOf(join(root, 'scripts', 'demo.ts')).includes(join('scripts', 'lib', 'three-cx.ts')));
});

test('bin/sealwatch.cjs is ES5 an old Node parses: no let/const, arrows, template literals, classes or import', (t) => {
  const text = readFileSync(join(root, 'bin', 'sealwatch.cjs'), 'utf8').replace(/^#!.*\n/, '');
  const code = text.replace(/\/\/.*$/gm, '').replace(/'(?:[^'\\\n]|\\.)*'/g, "''");
  t.notRegex(code, /\b(let|const|class|async|await|import)\b|=>|`|\.\.\./);
  // And it checks the version before it loads anything else of sealwatch.
  t.true(text.indexOf('NEEDED') < text.indexOf("require('./start.cjs')"));
});
