// An Electron-shaped Windows app assembled from real vendor files (the real corpus, test/corpus/REAL.md): a
// Microsoft-signed main executable whose version resource is the app's signed version, node-pty's real JavaScript
// and prebuilt modules under resources/app.asar.unpacked, an electron-builder app-update.yml, and a package.json that
// agrees with the executable. The attacks of issue 9 §2/§3 are edits to a copy of it.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { put } from '../../scripts/lib/three-cx.ts';
import { realAppPath, realCorpusPath } from './real-corpus.ts';

export { put };

/** signtool.exe 6.1.7600.16385 (Microsoft, 2010) as version 1; signtool.exe 10.0.26100.9169 (2024) as version 2. */
export const MAIN_V1 = { id: 'signtool-x86', version: '6.1.7600.16385' } as const;
export const MAIN_V2 = { id: 'signtool-x64', version: '10.0.26100.9169' } as const;

export const UNPACKED = 'resources/app.asar.unpacked/node_modules/node-pty';

/**
 * app.asar: Electron's archive format (a Chromium Pickle header holding a JSON index, then the files), here packing
 * node-pty's real lib/*.js.
 */
export function asarOf(files: ReadonlyMap<string, Buffer>): Buffer {
  let offset = 0;
  const index: Record<string, { size: number; offset: string }> = {};
  for (const [name, bytes] of files) {
    index[name] = { size: bytes.length, offset: String(offset) };
    offset += bytes.length;
  }
  const json = Buffer.from(JSON.stringify({ files: index }));
  const padded = Buffer.alloc(Math.ceil(json.length / 4) * 4);
  json.copy(padded);
  const pickle = Buffer.alloc(8);
  pickle.writeUInt32LE(padded.length + 4, 0);
  pickle.writeUInt32LE(json.length, 4);
  const head = Buffer.alloc(8);
  head.writeUInt32LE(4, 0);
  head.writeUInt32LE(pickle.length + padded.length, 4);
  return Buffer.concat([head, pickle, padded, ...files.values()]);
}

export function nodePtyLib(): Map<string, Buffer> {
  const lib = join(realAppPath('node-pty-1.1.0'), 'lib');
  return new Map(readdirSync(lib).filter((f) => f.endsWith('.js') && !f.includes('.test.')).map((f) => [f, readFileSync(join(lib, f))]));
}

export const UPDATE_YML = 'provider: generic\nurl: https://updates.contoso.example/desktop\nupdaterCacheDirName: contoso-desktop-updater\n';

/** Writes version 1 of the app into `root`. */
export function writeElectronApp(root: string): void {
  const pty = realAppPath('node-pty-1.1.0');
  put(root, 'contoso.exe', readFileSync(realCorpusPath(MAIN_V1.id)));
  put(root, 'package.json', JSON.stringify({ name: 'contoso-desktop', version: '6.1.7600', main: 'resources/app.asar' }));
  put(root, 'resources/app.asar', asarOf(nodePtyLib()));
  put(root, 'resources/app-update.yml', UPDATE_YML);
  put(root, 'resources/elevate', readFileSync(join(pty, 'binding.gyp')));
  put(root, `${UNPACKED}/lib/index.js`, readFileSync(join(pty, 'lib/index.js')));
  put(root, `${UNPACKED}/lib/windowsPtyAgent.js`, readFileSync(join(pty, 'lib/windowsPtyAgent.js')));
  put(root, `${UNPACKED}/package.json`, readFileSync(join(pty, 'package.json')));
  put(root, `${UNPACKED}/prebuilds/win32-x64/pty.node`, readFileSync(realCorpusPath('pty-node')));
  put(root, `${UNPACKED}/prebuilds/win32-x64/conpty/conpty.dll`, readFileSync(realCorpusPath('conpty')));
}
