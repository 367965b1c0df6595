// Small, exact checks of the Apple blob decoders: requirement text and the v1 (files/rules, SHA-1) seal fallback.
import test from 'ava';
import { build as buildPlist } from 'plist';
import { decodeRequirementSet } from '../../daemon/formats/macho/requirements.ts';
import { parseCodeResources, verifySeal } from '../../daemon/verify/codesign/seal.ts';
import { createHash } from 'node:crypto';

const be32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};
const data = (s: string): Buffer => {
  const b = Buffer.from(s);
  return Buffer.concat([be32(b.length), b, Buffer.alloc((4 - (b.length % 4)) % 4)]);
};
const set = (expr: Buffer): Buffer => {
  const req = Buffer.concat([be32(0xfade0c00), be32(12 + expr.length), be32(1), expr]);
  return Buffer.concat([be32(0xfade0c01), be32(20 + req.length), be32(1), be32(3), be32(20), req]);
};

test('requirements: and/or precedence, negation, certificate fields and generic OIDs decode to Apple\'s text form', (t) => {
  // (identifier "a" or identifier "b") and ! anchor apple and certificate 1[field.1.2.840.113635.100.6.2.6] exists
  const oid = Buffer.from('2a864886f763640602 06'.replace(/\s/g, ''), 'hex');
  const expr = Buffer.concat([
    be32(6),
    be32(6),
    be32(7), be32(2), data('a'), be32(2), data('b'),
    be32(9), be32(3),
    be32(14), be32(1), be32(oid.length), oid, Buffer.alloc((4 - (oid.length % 4)) % 4), be32(0),
  ]);
  t.is(
    decodeRequirementSet(set(expr)).byType.designated,
    '(identifier "a" or identifier "b") and ! anchor apple and certificate 1[field.1.2.840.113635.100.6.2.6] /* exists */',
  );
});

test('requirements: an unknown opcode is a typed error, not a crash', (t) => {
  const err = t.throws(() => decodeRequirementSet(set(be32(99))));
  t.regex(err?.message ?? '', /unknown requirement opcode 99/);
});

test('seal v1 (files/rules, SHA-1 only) is used when files2 is absent', (t) => {
  const content = Buffer.from('hello');
  const sha1 = createHash('sha1').update(content).digest();
  const seal = parseCodeResources(Buffer.from(buildPlist({ files: { 'Resources/a.txt': sha1 }, rules: { '^Resources/': true } } as never)));
  t.is(seal.version, 1);
  const ok = verifySeal([{ path: 'Resources/a.txt', type: 'file', sha1: sha1.toString('hex') }], seal, () => false, 'bundle');
  t.deepEqual(ok.problems, []);
  const bad = verifySeal([{ path: 'Resources/a.txt', type: 'file', sha1: '00'.repeat(20) }], seal, () => false, 'bundle');
  t.deepEqual(bad.modified, ['Resources/a.txt']);
});
