// Where the shipped trust anchors are, without loading the trust-store code (start-up of commands that verify nothing).
import { resolve } from 'node:path';

export const DEFAULT_TRUST_DIR = resolve(import.meta.dirname, '..', '..', 'config', 'trust');
