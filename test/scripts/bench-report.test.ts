// docs/benchmarks.md sections: each bench script replaces its own section (marked), never appends a second copy.
import test from 'ava';
import { withSection } from '../../scripts/bench/report.ts';

const doc = '# Benchmarks\n\nIntro by hand.\n\n<!-- bench:speed -->\nold speed\n<!-- /bench:speed -->\n\n## History\n\nkept\n';

test('a section is replaced in place; text outside the markers is kept', (t) => {
  const out = withSection(doc, 'speed', '\n## Speed\n\nnew table\n');
  t.is(out, '# Benchmarks\n\nIntro by hand.\n\n<!-- bench:speed -->\n## Speed\n\nnew table\n<!-- /bench:speed -->\n\n## History\n\nkept\n');
  t.is(withSection(out, 'speed', 'newer'), out.replace('## Speed\n\nnew table', 'newer'), 'a second run replaces, never adds');
});

test('a section not in the file yet is added at the end, once', (t) => {
  const once = withSection(doc, 'memory', 'memory table');
  t.true(once.endsWith('kept\n\n<!-- bench:memory -->\nmemory table\n<!-- /bench:memory -->\n'));
  t.is(withSection(once, 'memory', 'memory table').split('<!-- bench:memory -->').length, 2);
});

test('broken markers are an error, not a silent duplicate', (t) => {
  t.throws(() => withSection('<!-- bench:scan -->\nno end\n', 'scan', 'x'), { message: /markers of section "scan" are broken/ });
});
