// The compiled code as self-contained CommonJS scripts (esbuild): the executable's entry and its worker threads, the
// scan worker and the daemon's page worker (a worker inside a SEA cannot load a file path, so it runs from an embedded
// script: shared/assets.ts workerScript).
// Every npm dependency is inside; only node: built-ins are required at run time.
import { build, type BuildOptions } from 'esbuild';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..', '..');

// import.meta does not exist in CommonJS. Its URL only names files beside the code, which a SEA never loads (it uses
// the role argument and the embedded worker instead); import.meta.dirname must not be used at all: shipped files are
// found through shared/assets.ts, which never reads it inside a SEA.
const BANNER = [
  'var __sealwatch_meta = { url: require("node:url").pathToFileURL(process.execPath).href,',
  '  get dirname() { throw new Error("import.meta.dirname in a single executable: find shipped files with shared/assets.ts assetPath"); } };',
].join('\n');

const common: BuildOptions = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node24',
  minify: false,
  legalComments: 'none',
  logLevel: 'warning',
  banner: { js: BANNER },
  define: { 'import.meta.url': '__sealwatch_meta.url', 'import.meta.dirname': '__sealwatch_meta.dirname' },
};

/** The worker threads' scripts, by the asset name their code asks workerScript for (pool.ts, report/off-thread.ts). */
const WORKERS: Readonly<Record<string, string>> = {
  'scan-worker.cjs': join('daemon', 'inventory', 'scan-worker.ts'),
  'page-worker.cjs': join('daemon', 'report', 'page-worker.ts'),
};

/** Writes DIR/sealwatch.cjs and each worker's script; returns the entry and the workers by asset name. */
export async function bundle(dir: string): Promise<{ main: string; workers: Record<string, string> }> {
  const main = join(dir, 'sealwatch.cjs');
  await build({ ...common, entryPoints: [join(root, 'scripts', 'package', 'sea-entry.ts')], outfile: main });
  const workers: Record<string, string> = {};
  for (const [asset, source] of Object.entries(WORKERS)) {
    workers[asset] = join(dir, asset);
    await build({ ...common, entryPoints: [join(root, source)], outfile: workers[asset] });
  }
  return { main, workers };
}
