// The shipped policies parsed ahead of time (daemon/policy/shipped-policies.gen.ts): in step with policies/*.yaml, and a
// scan's policies (fast-load.ts) are exactly what load.ts gives — from the cache for the shipped set, through the YAML
// parser for anything else.
import test from 'ava';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scanPolicies } from '../../daemon/policy/fast-load.ts';
import { policiesOrFail, SHIPPED_POLICIES } from '../../daemon/policy/load.ts';
import { POLICY_CACHE_FILE, policyCacheSource } from '../../scripts/lib/policy-cache.ts';
import { tempDir } from '../helpers/temp.ts';

test('the generated shipped-policy cache is in step with policies/*.yaml (else: node scripts/policy-cache.ts)', (t) => {
  t.is(readFileSync(POLICY_CACHE_FILE, 'utf8'), policyCacheSource());
});

const both = async (paths: string[]): Promise<{ fast: unknown; slow: unknown; fastLines: string[]; slowLines: string[] }> => {
  const fastLines: string[] = [];
  const slowLines: string[] = [];
  const fast = await scanPolicies(paths, (l) => fastLines.push(l)).catch((e: Error) => e.message);
  let slow: unknown;
  try {
    slow = policiesOrFail(paths, (l) => slowLines.push(l));
  } catch (e) {
    slow = (e as Error).message;
  }
  return { fast, slow, fastLines, slowLines };
};

test('a scan gets the same policies and the same reported lines from the cache as from parsing', async (t) => {
  const r = await both([]);
  t.true(Array.isArray(r.fast) && (r.fast as unknown[]).length >= 3);
  t.deepEqual(r.fast, r.slow);
  t.deepEqual(r.fastLines, r.slowLines);
});

test('an operator policy, an edited copy of a shipped one and a repeated name go through the parser, with its verdicts', async (t) => {
  const dir = tempDir('sealwatch-fast-load-');
  const own = join(dir, 'own.yaml');
  writeFileSync(own, 'name: own-policy\nmatch:\n  apps: [contoso]\nseverity:\n  NEW_MODULE: low\n');
  const r = await both([own]);
  t.deepEqual(r.fast, r.slow);
  t.true((r.fast as Array<{ name: string }>).some((p) => p.name === 'own-policy'));
  // A byte-identical copy of a shipped policy repeats its name: an error from the parser path, not a silent duplicate.
  const copy = join(dir, 'copy.yaml');
  copyFileSync(join(SHIPPED_POLICIES, 'nodejs.yaml'), copy);
  const dup = await both([copy]);
  t.is(typeof dup.fast, 'string');
  t.is(dup.fast, dup.slow);
  t.deepEqual(dup.fastLines, dup.slowLines);
  t.true(dup.fastLines.some((l) => /also defined in/.test(l)), dup.fastLines.join('\n'));
  // Edited: one more line changes the text, so the cached parse is not used.
  const edited = join(dir, 'edited.yaml');
  writeFileSync(edited, readFileSync(join(SHIPPED_POLICIES, 'nodejs.yaml'), 'utf8').replace(/^name: .*$/m, 'name: nodejs-edited') + '\nunknown_field: 1\n');
  const bad = await both([edited]);
  t.is(bad.fast, bad.slow);
  t.true(bad.fastLines.some((l) => /unknown field/.test(l)), bad.fastLines.join('\n'));
});
