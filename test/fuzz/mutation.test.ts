// Mutation testing: thousands of randomly corrupted real files through sniffing, parsing and verification.
// Every input must give a record (possibly with a typed `error`), never an exception or a hang. Deterministic:
// a failure prints its seed and mutation so it can be replayed.
import test from 'ava';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type ModuleRecord } from '../../daemon/shared/model.ts';
import { parseCatalog } from '../../daemon/verify/catalog/catalog.ts';
import { SealwatchError } from '../../daemon/shared/errors.ts';
import { context, inspectBuffer } from '../helpers/inspect.ts';
import { appleFixture, fixtureDir } from '../helpers/fixtures.ts';
import { realCorpusPath, sharedCorpus } from '../helpers/real-corpus.ts';
import { loadIdentity, signMacho } from '../helpers/apple-signer.ts';

const ITERATIONS = Number(process.env.SEALWATCH_FUZZ_ITERATIONS ?? 3000);
// INTERNAL (an unexpected exception caught at the boundary) is deliberately absent: it would be a bug.
const TYPED = new Set(['TRUNCATED', 'BAD_MAGIC', 'MALFORMED', 'LIMIT_EXCEEDED', 'UNSUPPORTED', 'ASN1']);

/** An exception inside signature, timestamp or catalog checking that was not a typed input error: a bug. */
function internalProblem(record: ModuleRecord): string | undefined {
  const p = record.code_signature.problems.find((x) => x.code === 'INTERNAL');
  return p && `INTERNAL problem: ${p.message}`;
}

/** xorshift32: small, deterministic, good enough to pick offsets. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
}

function corpusFiles(dir: string, maxBytes: number): Buffer[] {
  return readdirSync(dir)
    .map((f) => join(dir, f))
    .filter((p) => statSync(p).isFile() && statSync(p).size <= maxBytes)
    .map((p) => readFileSync(p));
}

type Mutation = (b: Buffer, r: () => number) => { bytes: Buffer; what: string };
const at = (b: Buffer, r: () => number): number => Math.floor(r() * b.length);

/** Where the certificate table is, so that many mutations land in the ASN.1 rather than in code bytes. */
function certRegion(b: Buffer): [number, number] | undefined {
  try {
    const lfanew = b.readUInt32LE(0x3c);
    const magic = b.readUInt16LE(lfanew + 24);
    const dd = lfanew + 24 + (magic === 0x20b ? 144 : 128);
    const off = b.readUInt32LE(dd);
    const size = b.readUInt32LE(dd + 4);
    return off > 0 && off + size <= b.length ? [off, size] : undefined;
  } catch {
    return undefined;
  }
}

const mutations: Mutation[] = [
  (b, r) => {
    const out = Buffer.from(b);
    const n = 1 + Math.floor(r() * 16);
    for (let i = 0; i < n; i++) out[at(out, r)] = Math.floor(r() * 256);
    return { bytes: out, what: `${n} random bytes` };
  },
  (b, r) => {
    const n = at(b, r);
    return { bytes: b.subarray(0, n), what: `truncated to ${n}` };
  },
  (b, r) => {
    const out = Buffer.from(b);
    const o = Math.floor(r() * Math.min(out.length - 4, 1024));
    out.writeUInt32LE(Math.floor(r() * 0x100000000), o);
    return { bytes: out, what: `header u32 at ${o}` };
  },
  (b, r) => {
    const region = certRegion(b);
    const out = Buffer.from(b);
    if (!region) return { bytes: out, what: 'no table' };
    const n = 1 + Math.floor(r() * 8);
    for (let i = 0; i < n; i++) out[region[0] + Math.floor(r() * region[1])] = Math.floor(r() * 256);
    return { bytes: out, what: `${n} bytes in the certificate table` };
  },
  (b, r) => {
    const region = certRegion(b);
    if (!region) return { bytes: b, what: 'no table' };
    const cut = region[0] + Math.floor(r() * region[1]);
    return { bytes: b.subarray(0, cut), what: `cut inside the certificate table at ${cut}` };
  },
  (b, r) => {
    const o = at(b, r);
    const junk = Buffer.alloc(1 + Math.floor(r() * 64), Math.floor(r() * 256));
    return { bytes: Buffer.concat([b.subarray(0, o), junk, b.subarray(o)]), what: `inserted ${junk.length} bytes at ${o}` };
  },
];

test(`${ITERATIONS} corrupted PE files: a record every time, errors typed`, (t) => {
  const seeds = [...corpusFiles(join(sharedCorpus, 'pe'), 512 * 1024), ...corpusFiles(join(fixtureDir(), 'pe'), 512 * 1024)];
  t.true(seeds.length >= 20);
  const ctx = context();
  const r = rng(0x5ea1);
  const errorCodes = new Map<string, number>();
  for (let i = 0; i < ITERATIONS; i++) {
    const seed = seeds[i % seeds.length] as Buffer;
    const mutation = mutations[Math.floor(r() * mutations.length)] as Mutation;
    const { bytes, what } = mutation(seed, r);
    let record;
    try {
      record = inspectBuffer(`fuzz-${i}`, bytes, ctx);
    } catch (err) {
      t.fail(`iteration ${i} (${what}) threw: ${err instanceof Error ? err.stack : String(err)}`);
      return;
    }
    const internal = internalProblem(record);
    if (internal) {
      t.fail(`iteration ${i} (${what}): ${internal}`);
      return;
    }
    if (record.error) {
      t.true(TYPED.has(record.error.code), `iteration ${i}: untyped error ${record.error.code}: ${record.error.message}`);
      t.regex(record.error.message, new RegExp(`^fuzz-${i}: `), 'the error names the file');
      errorCodes.set(record.error.code, (errorCodes.get(record.error.code) ?? 0) + 1);
    }
    t.is(record.file.size, bytes.length);
  }
  t.log(`malformed-file errors by code: ${JSON.stringify(Object.fromEntries(errorCodes))}`);
});

test('1000 corrupted catalogs: parse or a typed error, never anything else', (t) => {
  const seeds = corpusFiles(join(sharedCorpus, 'catalog'), 1 << 20).filter((b) => b[0] === 0x30);
  const ctx = context();
  const r = rng(0xca7);
  for (let i = 0; i < 1000; i++) {
    const seed = seeds[i % seeds.length] as Buffer;
    const { bytes, what } = (mutations[Math.floor(r() * 2)] as Mutation)(seed, r);
    try {
      const cat = parseCatalog(bytes, `cat-${i}`, ctx);
      const internal = cat.signature.problems.find((p) => p.code === 'INTERNAL');
      if (internal) {
        t.fail(`iteration ${i} (${what}): INTERNAL problem: ${internal.message}`);
        return;
      }
    } catch (err) {
      const typed = err instanceof SealwatchError && err.code !== 'INTERNAL';
      t.true(typed, `iteration ${i} (${what}): ${err instanceof Error ? err.stack : String(err)}`);
      if (!typed) return;
    }
  }
  t.pass();
});

/** Where the code signature of the first (or only) slice is: mutations aimed there exercise the SuperBlob/CMS code. */
function machoSignatureRegion(b: Buffer): [number, number] | undefined {
  const magic = b.readUInt32BE(0);
  let base = 0;
  if (magic === 0xcafebabe) base = b.readUInt32BE(16);
  try {
    const m = b.readUInt32LE(base);
    const is64 = m === 0xfeedfacf;
    const ncmds = b.readUInt32LE(base + 16);
    let at = base + (is64 ? 32 : 28);
    for (let i = 0; i < ncmds && at + 16 <= b.length; i++) {
      if (b.readUInt32LE(at) === 0x1d) return [base + b.readUInt32LE(at + 8), b.readUInt32LE(at + 12)];
      at += b.readUInt32LE(at + 4);
    }
  } catch {
    return undefined;
  }
  return undefined;
}

test(`${ITERATIONS} corrupted Mach-O files (Santa, REAL.md, our signed fixtures): a record every time, errors typed`, async (t) => {
  const vendor = await loadIdentity(appleFixture('pki/vendor.der'), appleFixture('pki/vendor.pk8'), [appleFixture('pki/devid-ca.der')]);
  const signed = await signMacho(readFileSync(appleFixture('libffmpeg-arm64.dylib')), {
    identifier: 'com.contoso.libffmpeg',
    teamId: 'CONTOSO123',
    identity: vendor,
    entitlements: '<?xml version="1.0"?><plist version="1.0"><dict><key>a</key><true/></dict></plist>',
  });
  const seeds = [
    ...corpusFiles(join(sharedCorpus, 'macho'), 2 << 20),
    readFileSync(realCorpusPath('msal-dylib')),
    readFileSync(realCorpusPath('fsevents')),
    signed,
  ];
  const ctx = context();
  const r = rng(0xa991e);
  const aimed: Mutation = (b, rr) => {
    const region = machoSignatureRegion(b);
    const out = Buffer.from(b);
    if (!region) return { bytes: out, what: 'no signature' };
    const n = 1 + Math.floor(rr() * 8);
    for (let i = 0; i < n; i++) out[region[0] + Math.floor(rr() * Math.min(region[1], 4096))] = Math.floor(rr() * 256);
    return { bytes: out, what: `${n} bytes in the code signature` };
  };
  const all = [mutations[0], mutations[1], mutations[2], mutations[5], aimed, aimed] as Mutation[];
  for (let i = 0; i < ITERATIONS; i++) {
    const seed = seeds[i % seeds.length] as Buffer;
    const { bytes, what } = (all[Math.floor(r() * all.length)] as Mutation)(seed, r);
    let record;
    try {
      record = inspectBuffer(`macho-fuzz-${i}`, bytes, ctx);
    } catch (err) {
      t.fail(`iteration ${i} (${what}) threw: ${err instanceof Error ? err.stack : String(err)}`);
      return;
    }
    if (record.error) t.true(TYPED.has(record.error.code), `iteration ${i} (${what}): untyped error ${record.error.code}: ${record.error.message}`);
    const internal = internalProblem(record);
    if (internal) {
      t.fail(`iteration ${i} (${what}): ${internal}`);
      return;
    }
  }
  t.pass();
});

test('2000 corrupted ELF files: a record every time, errors typed', (t) => {
  const seeds = [readFileSync('/bin/ls'), readFileSync('/bin/true')];
  const ctx = context();
  const r = rng(0xe1f);
  for (let i = 0; i < 2000; i++) {
    const { bytes, what } = (mutations[Math.floor(r() * 3)] as Mutation)(seeds[i % seeds.length] as Buffer, r);
    const record = inspectBuffer(`elf-fuzz-${i}`, bytes, ctx);
    if (record.error) t.true(TYPED.has(record.error.code), `iteration ${i} (${what}): ${record.error.code}: ${record.error.message}`);
  }
  t.pass();
});
