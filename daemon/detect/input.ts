// What the detector is given about one scan: the changes and the app's context before it. Pure data.
import { type ModuleChange } from '../diff/diff.ts';

export interface DetectInput {
  readonly baseline: boolean;
  readonly fromVersion: string | undefined;
  readonly toVersion: string | undefined;
  readonly changes: readonly ModuleChange[];
  /** Signer identities of the app's code before this snapshot (signerIdentity values). */
  readonly knownSigners: ReadonlySet<string>;
  /** At least one module of the app was signed before this snapshot. */
  readonly appWasSigned: boolean;
}
