// Every digest of a file from one pass over its bytes: the whole-file hashes and the Authenticode image digests
// are fed from the same chunks, so a file is read once and walked once however many digests it needs. The same
// digester takes the bytes in memory (`digestOnePass`) or streamed from an open file of any size (`digestStream`,
// memory bounded by one chunk).
import { createHash, type Hash } from 'node:crypto';
import { type FileHandle } from 'node:fs/promises';
import { type AuthentihashPlan } from '../formats/pe/digest.ts';

const CHUNK = 1 << 20;

export interface FileDigests {
  readonly sha256: string;
  readonly sha1: string;
  readonly md5: string;
  /** Authentihash by algorithm, when an image-digest plan was given. */
  readonly image: { readonly sha1: Uint8Array; readonly sha256: Uint8Array } | undefined;
}

/** Feeds chunks in file order (each with its offset) to every digest; ranges of the plan go to the image digests. */
class Digester {
  private readonly whole: Hash[] = [createHash('sha256'), createHash('sha1'), createHash('md5')];
  private readonly image: Hash[];
  private readonly plan: AuthentihashPlan | undefined;

  constructor(plan?: AuthentihashPlan) {
    this.plan = plan;
    this.image = plan ? [createHash('sha1'), createHash('sha256')] : [];
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
    const [sha256, sha1, md5] = this.whole.map((h) => h.digest('hex')) as [string, string, string];
    const [isha1, isha256] = this.image.map((h) => h.digest());
    return { sha256, sha1, md5, image: isha1 && isha256 ? { sha1: isha1, sha256: isha256 } : undefined };
  }
}

export function digestOnePass(bytes: Uint8Array, plan?: AuthentihashPlan): FileDigests {
  const d = new Digester(plan);
  for (let start = 0; start < bytes.length; start += CHUNK) d.update(bytes.subarray(start, Math.min(bytes.length, start + CHUNK)), start);
  return d.finish();
}

/** The digests of the first `size` bytes of an open file, read a chunk at a time (one buffer, reused). */
export async function digestStream(
  handle: FileHandle,
  size: number,
  plan?: AuthentihashPlan,
  onChunk?: (chunk: Uint8Array, start: number) => void,
): Promise<FileDigests & { readonly bytesRead: number }> {
  const d = new Digester(plan);
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
