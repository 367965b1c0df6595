#!/usr/bin/env node
// sealwatch entry point: parse argv, run the command, exit with its code.
import { reexecWithSmallYoungGeneration } from './cli/young-generation.ts';

// Before anything else loads: a command that re-executes itself would otherwise load the CLI twice.
reexecWithSmallYoungGeneration(process.argv.slice(2));

// `npm run sealwatch -- …` runs in the package root: the paths on its command line are the caller's (npm's INIT_CWD).
if (process.env.npm_lifecycle_event === 'sealwatch' && process.env.INIT_CWD) process.chdir(process.env.INIT_CWD);

const { processOutput, runCli } = await import('./cli/program.ts');
process.exitCode = await runCli(process.argv.slice(2), processOutput());
