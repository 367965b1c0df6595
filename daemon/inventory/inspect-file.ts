// One file in, one ModuleRecord out: sniff by magic, parse, hash in one pass, verify, and summarise every
// problem into a verdict. Malformed input yields a record with `error` set, never an exception.
import { basename } from 'node:path';
import { parseContentInfoSignedData } from '../formats/cms/index.ts';
import { parseElf } from '../formats/elf/index.ts';
import { isReproducible } from '../formats/pe/debug.ts';
import { authentihashPlan } from '../formats/pe/digest.ts';
import { parsePe, type PeFile } from '../formats/pe/index.ts';
import { peDynamicImports } from '../formats/pe/dynamic-names.ts';
import { machoDynamicImports } from '../formats/macho/dynamic-names.ts';
import { looksLikeCatalog, SNIFF_BYTES, sniffFormat } from '../formats/sniff/index.ts';
import { SealwatchError, errorMessage } from '../shared/errors.ts';
import { type ModuleRecord, type SignatureStatus } from '../shared/model.ts';
import { verifyPeSignatures } from '../verify/authenticode/pe.ts';
import { verifyAuthenticodeSignedData } from '../verify/authenticode/signature.ts';
import { type CatalogIndex, parseCatalog } from '../verify/catalog/catalog.ts';
import { type ChainContext } from '../verify/chain/build.ts';
import { digestOnePass } from './hash.ts';
import { dataRecord, digestChoice, fileBlock, type FileFacts, UNSIGNED } from './data-record.ts';
import { catalogSignerRecord, machoSliceRecords, problemRecord, summarise, summariseMacho } from './records.ts';
import { verifyMachoFile } from '../verify/codesign/macho.ts';
import { appleAnchors, efiAnchors, windowsAnchors } from '../verify/chain/trust-store.ts';

export interface InspectContext extends ChainContext {
  /** Reference time for certificate validity when there is no trusted timestamp. */
  readonly now: Date;
  readonly catalogs?: CatalogIndex;
  /** Also record each file's SHA-1 and MD5 (and a PE's SHA-1 image digest) for IoC matching (`--ioc-digests`). */
  readonly iocDigests?: boolean;
  /** Compute the file SHA-1 whatever else is set: a bundle's seal (CodeResources) names its files by SHA-1. */
  readonly fileSha1?: boolean;
}

export { digestChoice, type FileFacts } from './data-record.ts';


function inspectPe(facts: FileFacts, bytes: Uint8Array, ctx: InspectContext): ModuleRecord {
  let pe: PeFile;
  try {
    pe = parsePe(bytes);
  } catch (err) {
    return malformed(facts, bytes, 'pe', err, ctx);
  }
  const plan = authentihashPlan(pe.headers, pe.certificateTable, bytes.length);
  const choice = digestChoice(ctx);
  const digests = digestOnePass(bytes, plan, choice);
  const report = verifyPeSignatures(bytes, pe, { ...ctx, acceptAnchor: pe.kind === 'efi' ? efiAnchors : windowsAnchors, knownImageDigests: digests.image ?? {}, recordImageSha1: choice.imageSha1 === true });
  const catalog = ctx.catalogs?.lookup({
    authentihash_sha256: report.authentihash.sha256,
    ...(report.authentihash.sha1 !== undefined ? { authentihash_sha1: report.authentihash.sha1 } : {}),
    file_sha256: digests.sha256,
    ...(digests.sha1 !== undefined ? { file_sha1: digests.sha1 } : {}),
  });
  const v = pe.version;
  const str = (k: string): string | undefined => v?.strings[k] || undefined;
  const opt = <K extends string, T>(key: K, value: T | undefined): { [P in K]?: T } =>
    (value === undefined ? {} : { [key]: value }) as { [P in K]?: T };
  return {
    file: fileBlock(facts, digests),
    module: {
      format: 'pe',
      arch: [pe.arch],
      kind: pe.kind,
      bits: pe.bits,
      version: { file: str('FileVersion') ?? v?.fileVersionNumber, product: str('ProductVersion') ?? v?.productVersionNumber },
      ...(pe.issues.length ? { parse_issues: pe.issues } : {}),
    },
    pe: {
      ...opt('company', str('CompanyName')),
      ...opt('product', str('ProductName')),
      ...opt('description', str('FileDescription')),
      ...opt('file_version', str('FileVersion')),
      ...opt('product_version', str('ProductVersion')),
      ...opt('file_version_number', v?.fileVersionNumber),
      ...opt('product_version_number', v?.productVersionNumber),
      ...opt('original_file_name', str('OriginalFilename')),
      ...opt('internal_name', str('InternalName')),
      dotnet: pe.isDotNet,
      authentihash: report.authentihash,
      checksum: pe.checksum,
      // a reproducible link (/Brepro) puts a content hash where the build time was: no build time then
      ...opt('compiled_at', isReproducible(bytes, pe.headers) ? undefined : plausibleTime(pe.headers.timeDateStamp)),
      certificate_table_size: pe.certificateTable?.size ?? 0,
      overlay_bytes: pe.overlayBytes,
      imports: pe.imports.map((i) => ({ dll: i.dll, functions: i.functions, delay_loaded: i.delayLoaded })),
      ...optList('dynamic_imports', peDynamicImports(bytes, pe)),
    },
    code_signature: summarise(report.signatures, report.problems, report.embedded, catalog),
  };
}

/** `{ key: list }` when the list has entries, else nothing (absent, never empty). */
function optList<K extends string>(key: K, list: readonly string[]): { [P in K]?: readonly string[] } {
  return (list.length ? { [key]: list } : {}) as { [P in K]?: readonly string[] };
}

/** A COFF TimeDateStamp between 2000 and 2100 is taken as a build time; anything else is a hash or zero. */
function plausibleTime(seconds: number): string | undefined {
  return seconds >= 946_684_800 && seconds < 4_102_444_800 ? new Date(seconds * 1000).toISOString() : undefined;
}

function inspectCatalog(facts: FileFacts, bytes: Uint8Array, ctx: InspectContext): ModuleRecord {
  const digests = digestOnePass(bytes, undefined, digestChoice(ctx));
  try {
    const cat = parseCatalog(bytes, basename(facts.path), ctx);
    const sig = cat.signature;
    const record = catalogSignerRecord(sig, '0', 'embedded', undefined);
    const exists = sig.signer !== undefined || !sig.problems.some((p) => p.code === 'CATALOG_UNSIGNED');
    const status: SignatureStatus = !exists ? 'unsigned' : !sig.valid ? 'invalid' : sig.trusted ? 'trusted' : 'untrusted';
    return {
      file: fileBlock(facts, digests),
      module: { format: 'catalog', arch: [], kind: `catalog (${cat.members.length} members)`, version: { file: undefined, product: undefined } },
      code_signature: {
        exists,
        status,
        valid: sig.valid,
        trusted: sig.trusted,
        source: exists ? 'embedded' : 'none',
        subject_name: record.subject_name,
        issuer_name: record.issuer_name,
        digest_algorithm: undefined,
        timestamp: record.timestamp?.time,
        thumbprint_sha256: record.thumbprint_sha256,
        signatures: exists ? [record] : [],
        problems: sig.problems.map(problemRecord),
      },
    };
  } catch (err) {
    return malformed(facts, bytes, 'catalog', err, ctx, digests);
  }
}

function inspectP7x(facts: FileFacts, bytes: Uint8Array, ctx: InspectContext): ModuleRecord {
  const digests = digestOnePass(bytes, undefined, digestChoice(ctx));
  try {
    const { signedData } = parseContentInfoSignedData(bytes.subarray(4));
    const sigs = verifyAuthenticodeSignedData(signedData, '0', { ...ctx, acceptAnchor: windowsAnchors, imageDigest: undefined });
    return {
      file: fileBlock(facts, digests),
      module: { format: 'p7x', arch: [], kind: 'package signature', version: { file: undefined, product: undefined } },
      code_signature: summarise(sigs, [], true, undefined),
    };
  } catch (err) {
    return malformed(facts, bytes, 'p7x', err, ctx, digests);
  }
}


function inspectElf(facts: FileFacts, bytes: Uint8Array, ctx: InspectContext): ModuleRecord {
  const digests = digestOnePass(bytes, undefined, digestChoice(ctx));
  try {
    const h = parseElf(bytes);
    return {
      file: fileBlock(facts, digests),
      module: { format: 'elf', arch: [h.arch], kind: h.kind, bits: h.bits, version: { file: undefined, product: undefined } },
      elf: {
        ...(h.buildId ? { build_id: h.buildId } : {}),
        ...(h.soname ? { soname: h.soname } : {}),
        ...(h.interpreter ? { interpreter: h.interpreter } : {}),
        needed: h.needed,
        rpath: h.rpath,
        runpath: h.runpath,
      },
      code_signature: UNSIGNED,
    };
  } catch (err) {
    return malformed(facts, bytes, 'elf', err, ctx, digests);
  }
}

export interface BundleContext {
  readonly infoPlist?: Uint8Array;
  readonly codeResources?: Uint8Array;
}

function inspectMacho(facts: FileFacts, bytes: Uint8Array, ctx: InspectContext, bundle?: BundleContext): ModuleRecord {
  const digests = digestOnePass(bytes, undefined, digestChoice(ctx));
  try {
    const report = verifyMachoFile(bytes, { ...ctx, acceptAnchor: appleAnchors, ...bundle });
    const slices = machoSliceRecords(report);
    const dynamic = [...new Set(report.slices.flatMap((s) => (s.load ? machoDynamicImports(bytes.subarray(s.location.offset, s.location.offset + s.location.size), s.load) : [])))].sort();
    const idVersions = [...new Set(slices.map((s) => s.id_dylib?.current_version).filter((v): v is string => v !== undefined))];
    return {
      file: fileBlock(facts, digests),
      module: {
        format: 'macho',
        arch: report.slices.map((s) => s.load?.arch ?? s.location.arch),
        kind: report.slices[0]?.load?.kind,
        version: { file: idVersions.join(', ') || undefined, product: undefined },
      },
      macho: { universal: report.universal, slices, ...optList('dynamic_imports', dynamic) },
      code_signature: summariseMacho(report),
    };
  } catch (err) {
    return malformed(facts, bytes, 'macho', err, ctx, digests);
  }
}

function malformed(facts: FileFacts, bytes: Uint8Array, format: ModuleRecord['module']['format'], err: unknown, ctx: InspectContext, digests = digestOnePass(bytes, undefined, digestChoice(ctx))): ModuleRecord {
  const code = err instanceof SealwatchError ? err.code : 'INTERNAL';
  return {
    file: fileBlock(facts, digests),
    module: { format, arch: [], kind: undefined, version: { file: undefined, product: undefined } },
    code_signature: UNSIGNED,
    error: { code, message: `${facts.path}: ${errorMessage(err)}` },
  };
}

/**
 * Inspects one file's bytes. Pure apart from hashing: the caller reads the file and passes the time in.
 * Never throws: whatever goes wrong becomes the record's `error`, and the record is kept.
 */
export function inspectBytes(facts: FileFacts, bytes: Uint8Array, ctx: InspectContext, bundle?: BundleContext): ModuleRecord {
  const format = sniffFormat(bytes.subarray(0, SNIFF_BYTES));
  try {
    return inspectAs(format, facts, bytes, ctx, bundle);
  } catch (err) {
    return malformed(facts, bytes, format, err, ctx);
  }
}

function inspectAs(format: ReturnType<typeof sniffFormat>, facts: FileFacts, bytes: Uint8Array, ctx: InspectContext, bundle: BundleContext | undefined): ModuleRecord {
  switch (format) {
    case 'pe':
      return inspectPe(facts, bytes, ctx);
    case 'macho':
      return inspectMacho(facts, bytes, ctx, bundle);
    case 'elf':
      return inspectElf(facts, bytes, ctx);
    case 'p7x':
      return inspectP7x(facts, bytes, ctx);
    default:
      if (looksLikeCatalog(bytes)) return inspectCatalog(facts, bytes, ctx);
      return dataRecord(facts, bytes, ctx);
  }
}
