// Independent check of the PE parser: python3-pefile reads the same headers, imports, checksum and version resource.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parsePe } from '../../daemon/formats/pe/index.ts';
import { allPeFiles } from '../helpers/pe-files.ts';

interface PefileView {
  path: string;
  error?: string;
  machine: number;
  sections: number;
  checksum_computed: number;
  imports: string[];
  functions: string[][];
  version: { strings: Record<string, string>; fixed_file: string | null; fixed_product: string | null };
}

const script = join(import.meta.dirname, '..', 'helpers', 'pefile_dump.py');
const KEYS = ['FileVersion', 'ProductVersion', 'CompanyName', 'ProductName', 'OriginalFilename', 'InternalName'];

test('headers, imports, checksum and version strings agree with python3-pefile', (t) => {
  const files = allPeFiles();
  const out = execFileSync('/usr/bin/python3', [script, ...files], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const views = out.trim().split('\n').map((l) => JSON.parse(l) as PefileView);
  let withVersion = 0;
  let functionsCompared = 0;
  for (const v of views) {
    if (v.error) {
      t.log(`pefile could not read ${basename(v.path)}: ${v.error}`);
      continue;
    }
    const name = basename(v.path);
    const pe = parsePe(readFileSync(v.path));
    t.is(pe.headers.machine, v.machine, `${name}: machine`);
    t.is(pe.headers.sections.length, v.sections, `${name}: sections`);
    if (pe.checksum.computed !== v.checksum_computed) {
      // pefile's sum drifts on very large files (node.exe, 87 MB); there the linker's stored value decides.
      t.is(pe.checksum.computed, pe.checksum.stored, `${name}: computed checksum differs from pefile and from the stored value`);
      t.log(`${name}: pefile computes ${v.checksum_computed}; ours ${pe.checksum.computed} equals the stored checksum`);
    }
    const direct = pe.imports.filter((i) => !i.delayLoaded);
    t.deepEqual(direct.map((i) => i.dll), v.imports, `${name}: imported DLLs`);
    t.deepEqual(direct.map((i) => i.functions), v.functions, `${name}: imported functions`);
    functionsCompared += v.functions.flat().length;
    const strings = pe.version?.strings ?? {};
    for (const k of KEYS) t.is(strings[k], v.version.strings[k], `${name}: ${k}`);
    t.is(pe.version?.fileVersionNumber ?? null, v.version.fixed_file, `${name}: fixed file version`);
    t.is(pe.version?.productVersionNumber ?? null, v.version.fixed_product, `${name}: fixed product version`);
    if (v.version.strings.FileVersion) withVersion++;
  }
  t.true(withVersion >= 15, `version resources compared on ${withVersion} files`);
  t.true(functionsCompared > 1000, `${functionsCompared} imported functions compared`);
});
