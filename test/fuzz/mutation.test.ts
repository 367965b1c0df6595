// Mutation testing: thousands of randomly corrupted real files through sniffing, parsing and verification.
// Every input must give a record (possibly with a typed `error`), never an exception or a hang. Deterministic:
// a failure prints its seed and mutation so it can be replayed.
import test from 'ava';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseCatalog } from '../../daemon/verify/catalog/catalog.ts';
import { SealwatchError } from '../../daemon/shared/errors.ts';
import { context, inspectBuffer } from '../helpers/inspect.ts';
import { fixtureDir } from '../helpers/fixtures.ts';
import { sharedCorpus } from '../helpers/real-corpus.ts';

const ITERATIONS = Number(process.env.SEALWATCH_FUZZ_ITERATIONS ?? 3000);
// INTERNAL (an unexpected exception caught at the boundary) is deliberately absent: it would be a bug.
const TYPED = new Set(['TRUNCATED', 'BAD_MAGIC', 'MALFORMED', 'LIMIT_EXCEEDED', 'UNSUPPORTED', 'ASN1']);

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
    if (record.error) {
      t.true(TYPED.has(record.error.code), `iteration ${i}: untyped error ${record.error.code}`);
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
      parseCatalog(bytes, `cat-${i}`, ctx);
    } catch (err) {
      t.true(err instanceof SealwatchError, `iteration ${i} (${what}): ${err instanceof Error ? err.stack : String(err)}`);
      if (!(err instanceof SealwatchError)) return;
    }
  }
  t.pass();
});
