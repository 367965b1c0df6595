// Signature and digest math on node:crypto. pkijs' engine lacks MD5, OIW sha1WithRSA, DSA, Ed25519 and ECDSA keyed
// by id-ecPublicKey (VERIFY-NOTES C), so every public-key operation goes through here instead.
import { createHash, createPublicKey, verify as cryptoVerify, constants, type KeyObject } from 'node:crypto';
import { type AlgorithmIdentifier } from '../formats/cms/index.ts';
import { FormatError, SealwatchError } from '../shared/errors.ts';
import { decodeExact } from '../formats/cms/index.ts';
import { DIGEST_BY_OID, SIGNATURE_ALGORITHMS, type DigestName } from '../formats/cms/oids.ts';

export type SignatureCheck = { readonly ok: true } | { readonly ok: false; readonly reason: string; readonly unsupported?: boolean };

export function digest(name: DigestName, data: Uint8Array): Buffer {
  return createHash(name).update(data).digest();
}

export function digestName(alg: AlgorithmIdentifier): DigestName | undefined {
  return DIGEST_BY_OID[alg.oid];
}

const keyCache = new WeakMap<Uint8Array, KeyObject>();

function publicKey(spki: Uint8Array): KeyObject {
  let key = keyCache.get(spki);
  if (!key) {
    try {
      key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
    } catch (err) {
      // OpenSSL cannot read the key (garbage, unknown curve): a fact about the input, typed as such.
      throw new FormatError('public key', 'UNSUPPORTED', err instanceof Error ? err.message : String(err), { cause: err });
    }
    keyCache.set(spki, key);
  }
  return key;
}

/** RSASSA-PSS parameters (RFC 4055 §3.1): hash [0], mgf [1], saltLength [2]. */
function pssParameters(params: Uint8Array | undefined): { digest: DigestName; saltLength: number } {
  let digestNameValue: DigestName = 'sha1';
  let saltLength = 20;
  if (params) {
    for (const field of decodeExact(params, 'RSASSA-PSS-params').children) {
      if (field.isContext(0)) {
        const oid = field.child(0).child(0).oid('PSS hash');
        digestNameValue = DIGEST_BY_OID[oid] ?? digestNameValue;
      } else if (field.isContext(2)) saltLength = field.child(0).integer('PSS saltLength');
    }
  }
  return { digest: digestNameValue, saltLength };
}

/**
 * Verifies `signature` over `data` with the key in `spki`. The digest comes from the signature algorithm when it
 * names one (sha256WithRSAEncryption) and otherwise from `digestHint` (CMS SignerInfo.digestAlgorithm).
 */
export function verifySignature(
  data: Uint8Array,
  signature: Uint8Array,
  algorithm: AlgorithmIdentifier,
  spki: Uint8Array,
  digestHint?: DigestName,
): SignatureCheck {
  const info = SIGNATURE_ALGORITHMS[algorithm.oid];
  if (!info) return { ok: false, reason: `unsupported signature algorithm ${algorithm.oid}`, unsupported: true };
  try {
    const key = publicKey(spki);
    let ok: boolean;
    if (info.key === 'ed25519') {
      ok = cryptoVerify(null, data, key, signature);
    } else if (info.key === 'rsa-pss') {
      const pss = pssParameters(algorithm.parameters);
      ok = cryptoVerify(pss.digest, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: pss.saltLength }, signature);
    } else {
      const d = info.digest ?? digestHint;
      if (!d) return { ok: false, reason: `no digest for signature algorithm ${algorithm.oid}`, unsupported: true };
      ok = cryptoVerify(d, data, key, signature);
    }
    return ok ? { ok: true } : { ok: false, reason: 'signature does not verify' };
  } catch (err) {
    // node:crypto reports a key or signature it cannot use with a coded error (ERR_OSSL_…, ERR_CRYPTO_…); our own
    // parsers throw typed errors. Anything else is a bug and goes up to be reported as INTERNAL.
    const e = err as { code?: unknown; opensslErrorStack?: unknown } | null;
    const coded = err instanceof SealwatchError || typeof e?.code === 'string' || Array.isArray(e?.opensslErrorStack);
    if (!coded) throw err;
    return { ok: false, reason: `signature check failed: ${err instanceof Error ? err.message : String(err)}` };
  }
}
