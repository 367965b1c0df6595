#!/usr/bin/env node
// Runs one sealwatch command in this process, from the compiled package (dist/, what an installed sealwatch runs:
// `npm run build` first), and prints the process's peak RSS — workers included, as they are threads of this process —
// on the last line of stderr, for memory-bench.ts.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const dist = (...p: string[]): string => pathToFileURL(resolve(import.meta.dirname, '..', '..', 'dist', ...p)).href;
// As dist/main.js does: the heavy commands re-execute with a small young generation.
const { reexecWithSmallYoungGeneration } = (await import(dist('cli', 'young-generation.js'))) as typeof import('../../daemon/cli/young-generation.ts');
reexecWithSmallYoungGeneration(process.argv.slice(2));
const entry = dist('cli', 'program.js');
const { runCli } = (await import(entry)) as typeof import('../../daemon/cli/program.ts');
const code = await runCli(process.argv.slice(2), { out: () => {}, err: (l) => process.stderr.write(`${l}\n`) });
process.stderr.write(`maxrss_kib=${process.resourceUsage().maxRSS}\n`);
process.exitCode = code;
