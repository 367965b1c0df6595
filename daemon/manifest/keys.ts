// Manifest keys on disk: an Ed25519 pair as PKCS#8 PEM (private, mode 0600) and SPKI PEM (public). Errors name the
// file and the reason; the private key's bytes are never logged.
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { errorMessage, SealwatchError } from '../shared/errors.ts';
import { keyId } from './envelope.ts';
import { makeDirs } from '../shared/make-dirs.ts';

const MAX_KEY_FILE = 64 * 1024;

function readKeyFile(file: string, what: string): string {
  let text: string;
  try {
    const bytes = readFileSync(file);
    if (bytes.length > MAX_KEY_FILE) throw new Error(`larger than ${MAX_KEY_FILE} bytes`);
    text = bytes.toString('utf8');
  } catch (err) {
    throw new SealwatchError('CONFIG', `${what} ${file}: cannot be read: ${errorMessage(err)}`, { file, cause: err });
  }
  return text;
}

/** Every PEM public key in the file (a pinned set may be one file), each Ed25519. */
export function loadPublicKeys(file: string): KeyObject[] {
  const text = readKeyFile(file, 'manifest public key');
  const blocks = text.match(/-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----/g) ?? [];
  if (blocks.length === 0) throw new SealwatchError('CONFIG', `manifest public key ${file}: no "BEGIN PUBLIC KEY" PEM block (SPKI, as \`sealwatch manifest keygen\` writes)`, { file });
  return blocks.map((pem) => {
    let key: KeyObject;
    try {
      key = createPublicKey(pem);
    } catch (err) {
      throw new SealwatchError('CONFIG', `manifest public key ${file}: not a valid SPKI public key: ${errorMessage(err)}`, { file, cause: err });
    }
    if (key.asymmetricKeyType !== 'ed25519') throw new SealwatchError('CONFIG', `manifest public key ${file}: a ${String(key.asymmetricKeyType)} key, not Ed25519`, { file });
    return key;
  });
}

export function loadPrivateKey(file: string): KeyObject {
  // Like ssh with an identity file: a signing key others can read is refused, not used.
  if (process.platform !== 'win32') {
    let mode: number | undefined;
    try {
      mode = statSync(file).mode;
    } catch {
      mode = undefined; // readKeyFile says why it cannot be read
    }
    if (mode !== undefined && (mode & 0o077) !== 0) throw new SealwatchError('CONFIG', `manifest signing key ${file}: mode ${(mode & 0o777).toString(8)} lets others read it; chmod 600 it`, { file });
  }
  const text = readKeyFile(file, 'manifest signing key');
  let key: KeyObject;
  try {
    key = createPrivateKey(text);
  } catch (err) {
    // The message of a failed parse could quote the input: say only that it is not a key.
    throw new SealwatchError('CONFIG', `manifest signing key ${file}: not a PKCS#8 PEM private key`, { file, cause: err });
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new SealwatchError('CONFIG', `manifest signing key ${file}: a ${String(key.asymmetricKeyType)} key, not Ed25519`, { file });
  return key;
}

/** DIR/manifest.key (PKCS#8 PEM, 0600, never overwritten) and DIR/manifest.pub (SPKI PEM). */
export function generateKeyFiles(dir: string): { privateFile: string; publicFile: string; keyId: string } {
  makeDirs(dir);
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const privateFile = join(dir, 'manifest.key');
  const publicFile = join(dir, 'manifest.pub');
  try {
    // 'wx': an existing key is never replaced (it may be the only copy); mode at creation, then chmod against umask.
    writeFileSync(privateFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
    chmodSync(privateFile, 0o600);
    writeFileSync(publicFile, publicKey.export({ type: 'spki', format: 'pem' }), { mode: 0o644, flag: 'wx' });
  } catch (err) {
    throw new SealwatchError('CONFIG', `manifest keygen: cannot write ${privateFile} / ${publicFile}: ${errorMessage(err)}`, { file: privateFile, cause: err });
  }
  return { privateFile, publicFile, keyId: keyId(publicKey) };
}
