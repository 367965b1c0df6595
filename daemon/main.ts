#!/usr/bin/env node
// sealwatch entry point: parse argv, run the command, exit with its code.
import { processOutput, runCli } from './cli/program.ts';
import { reexecWithSmallYoungGeneration } from './cli/young-generation.ts';

reexecWithSmallYoungGeneration(process.argv.slice(2));

// `npm run sealwatch -- …` runs in the package root: the paths on its command line are the caller's (npm's INIT_CWD).
if (process.env.npm_lifecycle_event === 'sealwatch' && process.env.INIT_CWD) process.chdir(process.env.INIT_CWD);

const code = await runCli(process.argv.slice(2), processOutput());
process.exitCode = code;
