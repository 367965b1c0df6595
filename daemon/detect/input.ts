// What the detector is given about one scan: the changes and the app's context before it. Pure data.
import { type ModuleChange } from '../diff/diff.ts';

/** What the app held before this snapshot, for judging sets of new modules (grouping.ts). */
export interface PriorLayout {
  /** How many modules the app had. */
  readonly modules: number;
  /** The app's modules by normalised name (grouping.ts `moduleStem`): the signer identities they had, '' for unsigned. */
  readonly moduleNames: ReadonlyMap<string, ReadonlySet<string>>;
  /** Every directory that held a file. */
  readonly directories: ReadonlySet<string>;
}

/** Where the app's version came from (inventory/app-version.ts), and unsigned sources that moved away from it. */
export interface VersionTrust {
  readonly source: string;
  readonly signed: boolean;
  /** Unsigned version sources changed in this scan to a version the signed source does not have. */
  readonly unsignedMoved: readonly { readonly source: string; readonly path: string; readonly version: string }[];
  /** The previous snapshot's version came from this signed source, and no signed source gives one now. */
  readonly lostSignature?: string;
  /**
   * The version now comes from another file than before (a signed program dropped beside the main executable, or
   * put in its place under another name): the previous snapshot's source. A new file does not make an update.
   */
  readonly switchedFrom?: string;
}

export interface DetectInput {
  readonly baseline: boolean;
  readonly fromVersion: string | undefined;
  readonly toVersion: string | undefined;
  readonly changes: readonly ModuleChange[];
  /** Signer identities of the app's code before this snapshot (signerIdentity values). */
  readonly knownSigners: ReadonlySet<string>;
  /** At least one module of the app was signed before this snapshot. */
  readonly appWasSigned: boolean;
  /** The app's layout before this snapshot; without it, new modules are judged one by one. */
  readonly prior?: PriorLayout;
  readonly version?: VersionTrust;
  /** The app's Squirrel app-x.y.z folders that hold something, newest first (none: not a Squirrel install). */
  readonly squirrelFolders?: readonly string[];
}
