// The PE/COFF spec's section-by-section image digest (VERIFY-NOTES A2, corrected): Debian signs fwupdaa64.efi over
// it, and only over it (its .text ends at 0x9000 and .data starts at 0xa000). Cross-checked against a spec
// authentihash written in Python on python3-pefile (test/helpers/spec_authentihash.py), independent of our code.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parsePe } from '../../daemon/formats/pe/index.ts';
import { authentihashPlan, sectionAuthentihashPlan } from '../../daemon/formats/pe/digest.ts';
import { UNAUTHENTICATED_DATA_CODES } from '../../daemon/verify/problems.ts';
import { recordHasFindings } from '../../daemon/cli/inspect.ts';
import { summarise } from '../../daemon/diff/summary.ts';
import { codes, inspectBuffer, inspectFile } from '../helpers/inspect.ts';
import { allPeFiles } from '../helpers/pe-files.ts';
import { pinnedBuild, realCorpusPath, sharedCorpus } from '../helpers/real-corpus.ts';
import { sectionOffset } from '../helpers/pe-mutate.ts';

interface SpecView {
  path: string;
  error?: string;
  straight: Record<string, string>;
  sections: Record<string, string>;
  signed: Array<[string, string]>;
  gaps: Array<[number, number, number]>;
}

const script = join(import.meta.dirname, '..', 'helpers', 'spec_authentihash.py');
function specView(paths: readonly string[]): SpecView[] {
  const out = execFileSync('/usr/bin/python3', [script, ...paths], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return out.trim().split('\n').map((l) => JSON.parse(l) as SpecView);
}

test('REAL fwupdaa64.efi.signed (Debian, arm64): signed over the section-by-section digest only; valid, digest_method "sections"', (t) => {
  const path = realCorpusPath('fwupd-aa64');
  const r = inspectFile(path);
  const [spec] = specView([path]);
  const sig = r.code_signature.signatures[0];
  t.is(r.module.kind, 'efi');
  t.deepEqual(r.module.arch, ['arm64']);
  t.is(r.code_signature.status, 'untrusted', JSON.stringify(r.code_signature.problems)); // Debian's CA is not in db
  t.true(r.code_signature.valid);
  if (!pinnedBuild(t, 'fwupd-aa64')) return; // the section layout below is this build's
  t.is(sig?.digest_method, 'sections');
  t.is(sig?.signed_digest, spec?.signed[0]?.[1]);
  t.is(sig?.computed_digest, spec?.sections.sha256);
  t.not(spec?.straight.sha256, spec?.sections.sha256, 'the straight pass differs here: that is what the case is about');
  t.false(codes(r).includes('DIGEST_MISMATCH'));
  // Its gap [0x9000, 0xa000) is all zeros: nothing to report.
  t.deepEqual(spec?.gaps, [[0x9000, 0xa000, 0]]);
  t.false(codes(r).includes('SECTION_GAP_DATA'));
  // The pe.authentihash field keeps the straight pass (what catalogs and signtool key on).
  t.is(r.pe?.authentihash.sha256, spec?.straight.sha256);
});

test('REAL fwupdaa64.efi.signed with bytes written into its section gap: still valid, SECTION_GAP_DATA (unauthenticated data)', (t) => {
  if (!pinnedBuild(t, 'fwupd-aa64')) return t.pass(); // the gap at 0x9000 is this build's
  const bytes = Buffer.from(readFileSync(realCorpusPath('fwupd-aa64')));
  bytes.write('payload no signature covers', 0x9100, 'latin1');
  const r = inspectBuffer('fwupdaa64-gap-payload.efi', bytes);
  t.true(r.code_signature.valid, JSON.stringify(r.code_signature.problems));
  t.is(r.code_signature.signatures[0]?.digest_method, 'sections');
  const gap = r.code_signature.problems.find((p) => p.code === 'SECTION_GAP_DATA');
  t.is(gap?.severity, 'warning');
  t.regex(gap?.message ?? '', /\[0x9000, 0xa000\) lie between sections: 27 of 4096 are non-zero/);
  t.true(UNAUTHENTICATED_DATA_CODES.has('SECTION_GAP_DATA'), 'the detector treats it like hidden data');
  t.deepEqual(summarise('fwupdaa64.efi', r).hiddenData.map((h) => h.code), ['SECTION_GAP_DATA'], 'what the UNAUTHENTICATED_DATA rule reads');
  t.true(recordHasFindings(r), '`inspect` exits 1 for it');
  // The untouched file has no finding of that kind.
  t.false(recordHasFindings(inspectFile(realCorpusPath('fwupd-aa64'))));
});

test('REAL fwupdaa64.efi.signed with one byte of .text changed: invalid under both procedures', (t) => {
  const bytes = Buffer.from(readFileSync(realCorpusPath('fwupd-aa64')));
  const text = sectionOffset(bytes, '.text') + 0x10; // 0x2010 in the pinned build
  bytes[text] = (bytes[text] ?? 0) ^ 1;
  const r = inspectBuffer('fwupdaa64-patched.efi', bytes);
  t.is(r.code_signature.status, 'invalid');
  t.regex(r.code_signature.problems.find((p) => p.code === 'DIGEST_MISMATCH')?.message ?? '', /neither the straight pass nor the section-by-section/);
  t.is(r.code_signature.signatures[0]?.digest_method, undefined);
});

test('REAL fwupdaa64.efi.signed with a byte changed in the range hashed twice (EDK2 re-hashes SUM_OF_BYTES_HASHED..)', (t) => {
  // SizeOfHeaders 0x1000 + raw sizes 0xe000 = 0xf000: EDK2 and shim hash [0xf000, 0x10000) a second time.
  if (!pinnedBuild(t, 'fwupd-aa64')) return t.pass(); // those offsets are this build's
  const bytes = Buffer.from(readFileSync(realCorpusPath('fwupd-aa64')));
  bytes[0xf800] = (bytes[0xf800] ?? 0) ^ 0x80;
  t.is(inspectBuffer('fwupdaa64-tail.efi', bytes).code_signature.status, 'invalid');
});

test('contiguous layouts have no section plan; UPX-style signify-spotify_sample.exe (headers overlap a section) matches the straight pass', (t) => {
  for (const id of ['fwupd-x64', 'grub-x64', 'shim']) {
    if (!pinnedBuild(t, id)) continue; // the layout is the build's
    const bytes = readFileSync(realCorpusPath(id));
    const pe = parsePe(bytes);
    t.is(sectionAuthentihashPlan(pe.headers, pe.certificateTable, bytes.length), undefined, id);
    t.true(inspectFile(realCorpusPath(id)).code_signature.signatures.every((s) => s.digest_method === 'straight'), id);
  }
  const spotify = join(sharedCorpus, 'pe', 'signify-spotify_sample.exe');
  const bytes = readFileSync(spotify);
  const pe = parsePe(bytes);
  t.not(sectionAuthentihashPlan(pe.headers, pe.certificateTable, bytes.length), undefined);
  t.deepEqual(authentihashPlan(pe.headers, pe.certificateTable, bytes.length).zeroPadding, 0);
  const r = inspectFile(spotify);
  t.is(r.code_signature.signatures[0]?.digest_method, 'straight');
  t.true(r.code_signature.valid);
});

test('every signed PE the suite knows: the matched digest equals python3-pefile spec authentihash under the method we name', (t) => {
  const files = allPeFiles();
  const views = new Map(specView(files).map((v) => [v.path, v]));
  let compared = 0;
  let sections = 0;
  for (const path of files) {
    const v = views.get(path);
    if (!v || v.error) {
      t.log(`python could not read ${basename(path)}: ${v?.error}`);
      continue;
    }
    const r = inspectFile(path);
    for (const s of r.code_signature.signatures) {
      if (s.index.includes('.') || s.kind !== 'embedded' || !s.digest_method || !s.digest_algorithm) continue;
      const theirs = (s.digest_method === 'sections' ? v.sections : v.straight)[s.digest_algorithm];
      t.is(s.computed_digest, theirs, `${basename(path)} #${s.index} (${s.digest_method})`);
      t.is(s.signed_digest, v.signed[Number(s.index)]?.[1], `${basename(path)} #${s.index} signed digest`);
      compared++;
      if (s.digest_method === 'sections') sections++;
    }
    // Where python's spec digest alone matches the signed one, we must not call the file invalid.
    for (const [alg, signed] of v.signed) {
      if (v.sections[alg] === signed && v.straight[alg] !== signed) t.false(codes(r).includes('DIGEST_MISMATCH'), basename(path));
    }
  }
  t.log(`${compared} signatures compared, ${sections} by the section procedure`);
  t.true(compared >= 30);
  t.true(sections >= 1);
});
