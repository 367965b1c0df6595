// Single-file packages: the size of each executable `npm run package` builds, and the start-up time of the one that
// runs here (linux-x64) beside the same command run by Node from the checkout. Writes the `package` section of
// docs/benchmarks.md (report.ts). Start-up is the median of 15 runs of `--version` (module loading, no work), plus the
// first start of the executable with an empty asset directory (it unpacks and checks its embedded files once), and
// `inspect` of one signed PE.
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildPackages } from '../package/build.ts';
import { writeSection } from './report.ts';

const root = resolve(import.meta.dirname, '..', '..');
const RUNS = 15;

function timeOnce(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv): number {
  const start = process.hrtime.bigint();
  const r = spawnSync(cmd, [...args], { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function median(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv): number {
  const times = Array.from({ length: RUNS }, () => timeOnce(cmd, args, env)).sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? Number.NaN;
}

const mib = (n: number): string => (n / 2 ** 20).toFixed(1);
const ms = (n: number): string => `${Math.round(n)} ms`;

const out = join(root, 'dist-package');
const built = await buildPackages([], out);
const linux = built.find((b) => b.target === 'linux-x64')?.file;
if (!linux) throw new Error('linux-x64 was not built');
const assets = mkdtempSync(join(tmpdir(), 'sealwatch-bench-assets-'));
const env = { ...process.env, SEALWATCH_ASSETS: assets };
const pe = join(root, 'test', 'corpus', 'pe', 'signify-whois.exe');
const launcher = [join(root, 'bin', 'sealwatch.cjs')];
const first = timeOnce(linux, ['--version'], env);
const seaVersion = median(linux, ['--version'], env);
const seaInspect = median(linux, ['inspect', pe], env);
const nodeVersion = median(process.execPath, [...launcher, '--version'], env);
const nodeInspect = median(process.execPath, [...launcher, 'inspect', pe], env);
rmSync(assets, { recursive: true, force: true });

const rows = built.map((b) =>
  b.unavailable
    ? `| ${b.target} | — | — | not built: ${b.unavailable} |`
    : `| ${b.target} | ${b.node} | ${mib(b.size ?? 0)} MiB | ${b.target === 'linux-x64' ? `\`--version\` ${ms(seaVersion)} (first start, unpacking the assets: ${ms(first)}); \`inspect\` of one signed PE ${ms(seaInspect)}` : 'not measured here (needs that OS)'} |`,
);
writeSection(
  'package',
  `## Single-file packages (\`npm run package\`, scripts/bench/package-bench.ts)

${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores (${cpus()[0]?.model.trim() ?? '?'}); start-up is the median of ${RUNS} runs, wall clock.

| target | Node | size | start-up |
|---|---|---|---|
${rows.join('\n')}

The same commands through Node from the checkout (\`node bin/sealwatch.cjs\`, TypeScript sources): \`--version\`
${ms(nodeVersion)}, \`inspect\` ${ms(nodeInspect)}. Each executable is Node itself plus a ${mib(built.find((b) => b.blobSize)?.blobSize ?? 0)} MiB blob (the bundled
code and the embedded config/, policies/ and trust roots). No code cache or snapshot is embedded (they would tie the
blob to the OS that built it), so the bundle is compiled at each start.`,
);
process.stdout.write(`package: linux-x64 --version ${ms(seaVersion)} (first ${ms(first)}), inspect ${ms(seaInspect)}; node checkout --version ${ms(nodeVersion)}, inspect ${ms(nodeInspect)}\n`);
