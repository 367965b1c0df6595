#!/usr/bin/env node
// Extracts the Secure Boot db certificates that firmware ships, from Debian's `ovmf` package (OVMF_VARS.ms.fd: an
// EDK2 variable store whose `db` holds EFI_SIGNATURE_LISTs of X.509 certificates), into config/trust/uefi/ as DER.
// These become the UEFI trust profile: anchors for EFI images only (daemon/verify/chain/trust-store.ts, efiAnchors).
//   node scripts/extract-uefi-db.ts [/usr/share/OVMF/OVMF_VARS.ms.fd] [config/trust/uefi]
// Prints the provenance table for config/trust/README.md. Input: an installed ovmf's file, or the pinned copy that
// `npm run corpus:fetch` keeps (real corpus entry ovmf-vars; what test/verify/uefi-trust.test.ts reads).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { decode, parseCertificate } from '../daemon/formats/cms/index.ts';
import { EFI_GUID, parseSignatureLists, parseVariableStore } from '../daemon/formats/efi/variables.ts';

const input = process.argv[2] ?? '/usr/share/OVMF/OVMF_VARS.ms.fd';
const outDir = process.argv[3] ?? resolve(import.meta.dirname, '..', 'config', 'trust', 'uefi');

const fd = readFileSync(input);
const variables = parseVariableStore(fd);
const db = variables.filter((v) => v.live && v.name === 'db' && v.vendorGuid === EFI_GUID.imageSecurityDatabase);
if (db.length !== 1) throw new Error(`${input}: expected one live db variable, found ${db.length}`);
const signatures = parseSignatureLists((db[0] as (typeof db)[number]).data);
const certs = signatures.filter((s) => s.type === EFI_GUID.certX509);
if (certs.length === 0) throw new Error(`${input}: db holds no X.509 certificates`);

let pkg = 'unknown';
try {
  pkg = execFileSync('dpkg-query', ['-S', input], { encoding: 'utf8' }).split(':')[0]?.trim() ?? pkg;
  pkg += ` ${execFileSync('dpkg-query', ['-W', '-f=${Version}', pkg], { encoding: 'utf8' }).trim()}`;
} catch {
  // not installed from a package: the file's hash below still pins the input
}

mkdirSync(outDir, { recursive: true });
for (const f of readdirSync(outDir)) if (f.endsWith('.der')) rmSync(join(outDir, f));
const rows: string[] = [];
for (const sig of certs) {
  const { node, trailing } = decode(sig.data, 'db certificate');
  if (trailing > 0) throw new Error(`a db certificate has ${trailing} trailing bytes`);
  const cert = parseCertificate(node);
  const cn = cert.subjectFields.commonName ?? cert.subject;
  const file = `${cn.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '')}.der`;
  writeFileSync(join(outDir, file), sig.data);
  rows.push(`| \`uefi/${file}\` | ${cn} | ${cert.issuerFields.commonName ?? cert.issuer} | ${cert.notAfter.toISOString().slice(0, 10)} | owner ${sig.owner} | \`${cert.sha256.toUpperCase()}\` |`);
}
console.log(`db of ${basename(input)} (${pkg}; file SHA-256 ${createHash('sha256').update(fd).digest('hex')}): ${certs.length} X.509 certificates of ${signatures.length} entries`);
console.log('| file | subject | issuer | valid to | signature owner | SHA-256 |\n|---|---|---|---|---|---|');
for (const row of rows) console.log(row);
