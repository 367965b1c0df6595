// A 3CX-shaped compromise built from real signed binaries and the signed fixtures: every module of the update still
// carries a valid signature. Used by test/pipeline/three-cx.test.ts and by the demo (`npm run demo`).
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadIdentity, signMacho, type SigningIdentity } from './apple-signer.ts';
import { appleFixture, peFixture, peFixtureTrustDir } from './fixtures.ts';
import { hidePayloadInCertificateEntry } from './pe-mutate.ts';
import { realCorpusPath } from './real-corpus.ts';

export function put(root: string, rel: string, bytes: Uint8Array | string): void {
  mkdirSync(dirname(join(root, rel)), { recursive: true });
  writeFileSync(join(root, rel), bytes);
}

/** The fixture vendor's Developer-ID-shaped identity (Team ID CONTOSO123). */
export function contosoIdentity(): Promise<SigningIdentity> {
  return loadIdentity(appleFixture('pki/vendor.der'), appleFixture('pki/vendor.pk8'), [appleFixture('pki/devid-ca.der')]);
}

/** Trust directories the 3CX app needs beside the shipped ones: the fixture PE PKI and the Apple test PKI. */
export function threeCxTrust(): string[] {
  return [peFixtureTrustDir(), appleFixture('trust')];
}

/**
 * Writes version 18.12.407 of "contoso-desktop" into `v1` and the compromised 18.12.416 into `v2`:
 * 1. a Microsoft-signed DLL (real: vcruntime140.dll) named d3dcompiler_47.dll gains an `FE ED FA CE` payload inside
 *    its certificate table (CVE-2013-3900; Windows still calls it valid);
 * 2. the vendor's own DLL changes, validly signed by the vendor, without a version change;
 * 3. an unsigned DLL appears (real: node-pty's pty.node, as ffmpeg.dll);
 * 4. the vendor's dylib, re-signed with the same Team ID, gains a constructor and process/network imports.
 * Returns the trojan dylib's bytes (for IoC look-ups).
 */
export async function writeThreeCxApp(v1: string, v2: string): Promise<{ trojanDylib: Buffer }> {
  const vendor = await contosoIdentity();
  const dylib = await signMacho(readFileSync(appleFixture('libffmpeg-arm64.dylib')), { identifier: 'com.contoso.libffmpeg', teamId: 'CONTOSO123', identity: vendor });
  const trojanDylib = await signMacho(readFileSync(appleFixture('libffmpeg-trojan-arm64.dylib')), { identifier: 'com.contoso.libffmpeg', teamId: 'CONTOSO123', identity: vendor });
  put(v1, 'package.json', JSON.stringify({ name: 'contoso-desktop', version: '18.12.407' }));
  put(v1, 'd3dcompiler_47.dll', readFileSync(realCorpusPath('vcruntime140'))); // a Microsoft-signed DLL
  put(v1, 'contoso.dll', readFileSync(peFixture('vendor-signed.dll'))); // the vendor's own DLL, version 1.2.3.4
  put(v1, 'Frameworks/libffmpeg.dylib', dylib);
  put(v1, 'resources/app.asar', 'console.log("contoso")');
  put(v2, 'package.json', JSON.stringify({ name: 'contoso-desktop', version: '18.12.416' }));
  // 1. the Microsoft-signed DLL gains an RC4-style payload inside its certificate table (CVE-2013-3900)
  const payload = Buffer.concat([Buffer.from('feedface', 'hex'), randomBytes(4096)]);
  put(v2, 'd3dcompiler_47.dll', hidePayloadInCertificateEntry(readFileSync(realCorpusPath('vcruntime140')), payload));
  // 2. the vendor DLL changes, validly signed by the vendor, without a version change
  put(v2, 'contoso.dll', readFileSync(peFixture('vendor-trojan-signed.dll')));
  // 3. an unsigned DLL appears
  put(v2, 'ffmpeg.dll', readFileSync(realCorpusPath('pty-node')));
  // 4. the dylib, re-signed with the same Team ID, gains a constructor and process/network imports
  put(v2, 'Frameworks/libffmpeg.dylib', trojanDylib);
  put(v2, 'resources/app.asar', 'console.log("contoso 416")');
  return { trojanDylib };
}
