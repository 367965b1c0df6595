// Adversarial tiny inputs for the PE parser: each must give a typed error with the reason, never a crash or hang.
import test from 'ava';
import { parsePe } from '../../daemon/formats/pe/index.ts';
import { FormatError } from '../../daemon/shared/errors.ts';

function pe(options: { lfanew?: number; magic?: number; sizeOfOptionalHeader?: number; sections?: number; total?: number } = {}): Buffer {
  const lfanew = options.lfanew ?? 0x40;
  const b = Buffer.alloc(options.total ?? 1024);
  b.write('MZ', 0, 'latin1');
  b.writeUInt32LE(lfanew, 0x3c);
  if (lfanew + 24 + 2 <= b.length) {
    b.write('PE\0\0', lfanew, 'latin1');
    b.writeUInt16LE(0x8664, lfanew + 4);
    b.writeUInt16LE(options.sections ?? 0, lfanew + 6);
    b.writeUInt16LE(options.sizeOfOptionalHeader ?? 240, lfanew + 20);
    b.writeUInt16LE(options.magic ?? 0x20b, lfanew + 24);
    if (lfanew + 24 + 112 <= b.length) b.writeUInt32LE(16, lfanew + 24 + 108); // NumberOfRvaAndSizes
    if (lfanew + 24 + 64 <= b.length) b.writeUInt32LE(0x400, lfanew + 24 + 60); // SizeOfHeaders
  }
  return b;
}

const cases: Array<[string, Buffer, RegExp]> = [
  ['empty input', Buffer.alloc(0), /no MZ signature|past the end/],
  ['"MZ" and nothing else', Buffer.from('MZ'), /e_lfanew/],
  ['e_lfanew points past the end', pe({ lfanew: 0xfffffff0 }), /PE signature.*runs past the end/],
  ['e_lfanew is negative when read signed', pe({ lfanew: 0x80000000 }), /runs past the end/],
  ['no PE\\0\\0 at e_lfanew', (() => { const b = pe(); b.write('XX', 0x40, 'latin1'); return b; })(), /no PE\\0\\0 signature/],
  ['unknown optional header magic', pe({ magic: 0x1234 }), /unknown optional header magic 0x1234/],
  ['optional header smaller than its fixed fields', pe({ sizeOfOptionalHeader: 16 }), /SizeOfOptionalHeader 16/],
  ['optional header runs past the end', pe({ total: 0x40 + 24 + 100 }), /runs past the end/],
  ['section count over the loader limit', pe({ sections: 0xffff }), /NumberOfSections 65535 exceeds/],
  ['section table runs past the end', pe({ sections: 40 }), /section table.*runs past the end/],
];

for (const [why, bytes, reason] of cases) {
  test(`malformed PE: ${why}`, (t) => {
    const err = t.throws(() => parsePe(bytes));
    t.true(err instanceof FormatError, `typed error, got ${String(err)}`);
    t.regex(err?.message ?? '', reason);
    t.true(['TRUNCATED', 'MALFORMED', 'LIMIT_EXCEEDED'].includes((err as FormatError).code));
  });
}

test('a certificate directory pointing inside the headers is an anomaly, not a crash', (t) => {
  const b = pe();
  b.writeUInt32LE(0x10, 0x40 + 24 + 112 + 4 * 8); // certificate table offset inside the headers
  b.writeUInt32LE(0x20, 0x40 + 24 + 112 + 4 * 8 + 4);
  const parsed = parsePe(b);
  t.false(parsed.certificateTable?.usable);
  t.is(parsed.certificateTable?.anomalies[0]?.code, 'CERT_TABLE_INSIDE_HEADERS');
});

test('a certificate table running past the end of the file is an anomaly, not a crash', (t) => {
  const b = pe();
  b.writeUInt32LE(0x400, 0x40 + 24 + 112 + 4 * 8);
  b.writeUInt32LE(0x10000, 0x40 + 24 + 112 + 4 * 8 + 4);
  t.is(parsePe(b).certificateTable?.anomalies[0]?.code, 'CERT_TABLE_PAST_EOF');
});

test('a WIN_CERTIFICATE whose dwLength overruns the table is reported and parsing stops there', (t) => {
  const b = Buffer.concat([pe(), Buffer.alloc(64)]);
  b.writeUInt32LE(1024, 0x40 + 24 + 112 + 4 * 8);
  b.writeUInt32LE(64, 0x40 + 24 + 112 + 4 * 8 + 4);
  b.writeUInt32LE(0x7fffffff, 1024); // dwLength
  const table = parsePe(b).certificateTable;
  t.is(table?.entries.length, 0);
  t.is(table?.anomalies[0]?.code, 'CERT_ENTRY_MALFORMED');
});

test('a version resource that loops back on itself ends with a parse issue, not a hang', (t) => {
  // Resource directory at 0x200 in a section mapping RVA 0x1000 → file 0x200; the RT_VERSION entry points to itself.
  const b = pe({ sections: 1 });
  const oh = 0x40 + 24;
  b.writeUInt32LE(0x1000, oh + 112 + 2 * 8); // resource directory RVA
  b.writeUInt32LE(0x100, oh + 112 + 2 * 8 + 4);
  const sec = oh + 240;
  b.write('.rsrc', sec, 'latin1');
  b.writeUInt32LE(0x200, sec + 8); // VirtualSize
  b.writeUInt32LE(0x1000, sec + 12); // VirtualAddress
  b.writeUInt32LE(0x200, sec + 16); // SizeOfRawData
  b.writeUInt32LE(0x200, sec + 20); // PointerToRawData
  b.writeUInt16LE(1, 0x200 + 14); // one id entry
  b.writeUInt32LE(16, 0x200 + 16); // RT_VERSION
  b.writeUInt32LE(0x80000000, 0x200 + 20); // subdirectory at offset 0: itself
  const parsed = parsePe(b);
  t.is(parsed.version, undefined);
});
