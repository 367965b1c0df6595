// Every digest of a file from one pass over its bytes: the whole-file hashes and the Authenticode image digests
// are fed from the same chunks, so a file is read once and walked once however many digests it needs.
import { createHash, type Hash } from 'node:crypto';
import { type AuthentihashPlan } from '../formats/pe/digest.ts';

const CHUNK = 1 << 20;

export interface FileDigests {
  readonly sha256: string;
  readonly sha1: string;
  readonly md5: string;
  /** Authentihash by algorithm, when an image-digest plan was given. */
  readonly image: { readonly sha1: Uint8Array; readonly sha256: Uint8Array } | undefined;
}

export function digestOnePass(bytes: Uint8Array, plan?: AuthentihashPlan): FileDigests {
  const whole: Hash[] = [createHash('sha256'), createHash('sha1'), createHash('md5')];
  const image = plan ? [createHash('sha1'), createHash('sha256')] : [];
  for (let start = 0; start < bytes.length; start += CHUNK) {
    const end = Math.min(bytes.length, start + CHUNK);
    const chunk = bytes.subarray(start, end);
    for (const h of whole) h.update(chunk);
    if (!plan) continue;
    for (const r of plan.ranges) {
      const s = Math.max(r.start, start);
      const e = Math.min(r.end, end);
      if (e > s) for (const h of image) h.update(bytes.subarray(s, e));
    }
  }
  if (plan && plan.zeroPadding > 0) for (const h of image) h.update(new Uint8Array(plan.zeroPadding));
  const [sha256, sha1, md5] = whole.map((h) => h.digest('hex')) as [string, string, string];
  const [isha1, isha256] = image.map((h) => h.digest());
  return { sha256, sha1, md5, image: isha1 && isha256 ? { sha1: isha1, sha256: isha256 } : undefined };
}
