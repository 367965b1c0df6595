// Imported first by portable.test.ts: the portable path must be chosen before confined.ts is evaluated.
process.env.SEALWATCH_NO_PROCFS = '1';
