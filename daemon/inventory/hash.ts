// Every digest of a file from one pass over its bytes: the whole-file hashes and the Authenticode image digests
// are fed from the same chunks, so a file is read once and walked once however many digests it needs. The same
// digester takes the bytes in memory (`digestOnePass`) or streamed from an open file of any size (`digestStream`,
// memory bounded by one chunk).
import { createHash, type Hash } from 'node:crypto';
import { type FileHandle } from 'node:fs/promises';
import { type AuthentihashPlan } from '../formats/pe/digest.ts';

const CHUNK = 1 << 20;

/**
 * Which digests beside the whole-file SHA-256 (always) and the SHA-256 image digest of a PE (always). SHA-1 and MD5
 * of the whole file serve IoC matching and Windows catalogs (members by file SHA-1); the SHA-1 image digest serves
 * catalogs and SHA-1 signatures, which compute it themselves when they need it. MD5 is the slowest digest of all
 * (about half the speed of SHA-256 with SHA extensions), so nothing pays for it unless asked.
 */
export interface DigestChoice {
  readonly sha1?: boolean;
  readonly md5?: boolean;
  readonly imageSha1?: boolean;
}

export interface FileDigests {
  readonly sha256: string;
  /** Present when chosen (DigestChoice.sha1). */
  readonly sha1?: string;
  /** Present when chosen (DigestChoice.md5). */
  readonly md5?: string;
  /** Authentihash by algorithm, when an image-digest plan was given (SHA-1 only when chosen). */
  readonly image: { readonly sha1?: Uint8Array; readonly sha256: Uint8Array } | undefined;
}

/** Feeds chunks in file order (each with its offset) to every digest; ranges of the plan go to the image digests. */
class Digester {
  private readonly sha256 = createHash('sha256');
  private readonly sha1: Hash | undefined;
  private readonly md5: Hash | undefined;
  private readonly whole: Hash[];
  private readonly imageSha256: Hash | undefined;
  private readonly imageSha1: Hash | undefined;
  private readonly image: Hash[];
  private readonly plan: AuthentihashPlan | undefined;

  constructor(plan: AuthentihashPlan | undefined, choice: DigestChoice) {
    this.plan = plan;
    this.sha1 = choice.sha1 ? createHash('sha1') : undefined;
    this.md5 = choice.md5 ? createHash('md5') : undefined;
    this.whole = [this.sha256, this.sha1, this.md5].filter((h): h is Hash => h !== undefined);
    this.imageSha256 = plan ? createHash('sha256') : undefined;
    this.imageSha1 = plan && choice.imageSha1 ? createHash('sha1') : undefined;
    this.image = [this.imageSha256, this.imageSha1].filter((h): h is Hash => h !== undefined);
  }

  update(chunk: Uint8Array, start: number): void {
    for (const h of this.whole) h.update(chunk);
    if (!this.plan) return;
    const end = start + chunk.length;
    for (const r of this.plan.ranges) {
      const s = Math.max(r.start, start);
      const e = Math.min(r.end, end);
      if (e > s) for (const h of this.image) h.update(chunk.subarray(s - start, e - start));
    }
  }

  finish(): FileDigests {
    if (this.plan && this.plan.zeroPadding > 0) for (const h of this.image) h.update(new Uint8Array(this.plan.zeroPadding));
    return {
      sha256: this.sha256.digest('hex'),
      ...(this.sha1 ? { sha1: this.sha1.digest('hex') } : {}),
      ...(this.md5 ? { md5: this.md5.digest('hex') } : {}),
      image: this.imageSha256 ? { sha256: this.imageSha256.digest(), ...(this.imageSha1 ? { sha1: this.imageSha1.digest() } : {}) } : undefined,
    };
  }
}

/** Every chosen digest of bytes in memory: each digest is fed the whole buffer at once (no copies, no chunk loop). */
export function digestOnePass(bytes: Uint8Array, plan?: AuthentihashPlan, choice: DigestChoice = {}): FileDigests {
  const d = new Digester(plan, choice);
  d.update(bytes, 0);
  return d.finish();
}

/** The digests of the first `size` bytes of an open file, read a chunk at a time (one buffer, reused). */
export async function digestStream(
  handle: FileHandle,
  size: number,
  plan?: AuthentihashPlan,
  onChunk?: (chunk: Uint8Array, start: number) => void,
  choice: DigestChoice = {},
): Promise<FileDigests & { readonly bytesRead: number }> {
  const d = new Digester(plan, choice);
  const buf = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(1, size)));
  let at = 0;
  while (at < size) {
    const { bytesRead } = await handle.read(buf, 0, Math.min(buf.length, size - at), at);
    if (bytesRead === 0) break;
    d.update(buf.subarray(0, bytesRead), at);
    onChunk?.(buf.subarray(0, bytesRead), at);
    at += bytesRead;
  }
  return { ...d.finish(), bytesRead: at };
}
