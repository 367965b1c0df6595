// The record of a file that is not code (no module format, no catalog): its hashes and nothing to verify. Kept apart
// from inspect-file.ts so that a worker hashing data files never loads the parsers and verifiers.
import { basename } from 'node:path';
import { looksLikeCatalog, SNIFF_BYTES, sniffFormat } from '../formats/sniff/index.ts';
import { type CodeSignatureRecord, type ModuleRecord } from '../shared/model.ts';
import { digestOnePass, type DigestChoice, type FileDigests } from './hash.ts';

export interface FileFacts {
  readonly path: string;
  readonly size: number;
  readonly mtime?: Date;
}

/** What decides the digests: --ioc-digests, catalogs configured, a bundle's seal naming files by SHA-1. */
export interface DigestSettings {
  readonly iocDigests?: boolean;
  readonly catalogs?: unknown;
  readonly fileSha1?: boolean;
}

/**
 * The digests a file's record carries beyond SHA-256: SHA-1 and MD5 when asked for IoC matching; SHA-1 (file and
 * image) also when catalogs are configured, since catalog members name files by them.
 */
export function digestChoice(ctx: DigestSettings): DigestChoice {
  const sha1 = ctx.iocDigests === true || ctx.catalogs !== undefined;
  return { sha1: sha1 || ctx.fileSha1 === true, md5: ctx.iocDigests === true, imageSha1: sha1 };
}

/** The signature block of a file without any signature (records.ts `summarise` of nothing; a test keeps them equal). */
export const UNSIGNED: CodeSignatureRecord = {
  exists: false,
  status: 'unsigned',
  valid: false,
  trusted: false,
  source: 'none',
  subject_name: undefined,
  issuer_name: undefined,
  digest_algorithm: undefined,
  timestamp: undefined,
  thumbprint_sha256: undefined,
  signatures: [],
  problems: [],
};

export function fileBlock(facts: FileFacts, digests: FileDigests): ModuleRecord['file'] {
  return {
    path: facts.path,
    name: basename(facts.path),
    size: facts.size,
    ...(facts.mtime ? { mtime: facts.mtime.toISOString() } : {}),
    hash: { sha256: digests.sha256, ...(digests.sha1 !== undefined ? { sha1: digests.sha1 } : {}), ...(digests.md5 !== undefined ? { md5: digests.md5 } : {}) },
  };
}

/** Not a module and not a catalog, by its magic bytes: nothing in it to parse or verify. */
export const isPlainData = (bytes: Uint8Array): boolean => sniffFormat(bytes.subarray(0, SNIFF_BYTES)) === 'unknown' && !looksLikeCatalog(bytes);

/** The interpreter a `#!` line names (first 256 bytes), which makes a data file a script whatever its name. */
export function interpreterOf(bytes: Uint8Array): string | undefined {
  if (bytes[0] !== 0x23 || bytes[1] !== 0x21) return undefined;
  const line = Buffer.from(bytes.subarray(2, 258)).toString('latin1').split('\n')[0] ?? '';
  return line.trim().split(/\s+/).slice(0, 2).join(' ').replace(/[^\x20-\x7e]/g, '?') || '?';
}

export function dataRecord(facts: FileFacts, bytes: Uint8Array, ctx: DigestSettings): ModuleRecord {
  const interpreter = interpreterOf(bytes);
  return {
    file: { ...fileBlock(facts, digestOnePass(bytes, undefined, digestChoice(ctx))), ...(interpreter ? { interpreter } : {}) },
    module: { format: 'unknown', arch: [], kind: undefined, version: { file: undefined, product: undefined } },
    code_signature: UNSIGNED,
  };
}
