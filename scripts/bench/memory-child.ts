#!/usr/bin/env node
// Runs one sealwatch command in this process (as the CLI would) and prints the process's peak RSS — workers
// included, as they are threads of this process — on the last line of stderr, for memory-bench.ts.
import { runCli } from '../../daemon/cli/program.ts';

const code = await runCli(process.argv.slice(2), { out: () => {}, err: (l) => process.stderr.write(`${l}\n`) });
process.stderr.write(`maxrss_kib=${process.resourceUsage().maxRSS}\n`);
process.exitCode = code;
