// What every manifest reader produces, whatever the format: which files a version should hold (with the hashes the
// source gives), which versions a vendor has published, and how far the source deserves trust. The check stage
// (check.ts) works on these only.

/**
 * How much a manifest's agreement is worth (issue 11: "explains a change only as far as the manifest deserves
 * trust"). In 3CX the vendor's own pipeline was compromised, so a vendor's own statement never counts as much as a
 * reference machine's manifest signed with a key the operator pinned.
 * - `pinned-key`: sealwatch's own release manifest, Ed25519-signed by a key configured for the app.
 * - `vendor-signed`: a file list the vendor signed with its code-signing identity (MSIX block map under
 *   AppxSignature.p7x, an Apple bundle's CodeResources seal).
 * - `feed`: an update feed (electron-builder latest.yml, Sparkle appcast, WinGet, Squirrel RELEASES): versions and
 *   installer hashes only, no per-file statement.
 */
/** An installed MSIX package's block map and its signature, at the package root. */
export const BLOCK_MAP = 'AppxBlockMap.xml';
export const APPX_SIGNATURE = 'AppxSignature.p7x';

export type ManifestStrength = 'pinned-key' | 'vendor-signed' | 'feed';

export type ManifestKind = 'sealwatch' | 'msix-blockmap' | 'apple-coderesources' | 'electron-builder' | 'sparkle' | 'winget' | 'squirrel';

/** One file as a manifest lists it; every hash optional (a source gives what it has). Paths '/'-separated, relative to the app root. */
export interface ListedFile {
  readonly path: string;
  readonly size?: number;
  readonly sha256?: string;
  /** PE: SHA-256 image digest (Authenticode). Lets a manifest list a file before it is signed. */
  readonly authentihash?: string;
  /** Mach-O: the cdhash (hex) of the best CodeDirectory. */
  readonly cdhash?: string;
  readonly kind?: string;
  readonly fileVersion?: string;
  /** Expected signer identity as sealwatch names it (`org:…`, `team:…`; '' unsigned). */
  readonly signer?: string;
  /** Set by readers that check the file themselves (MSIX block map: 64 KiB block hashes): the verdict on disk. */
  readonly checked?: { readonly matches: boolean; readonly detail: string };
}

export interface Manifest {
  /** Names the manifest in findings: where it came from and what it is. */
  readonly name: string;
  readonly kind: ManifestKind;
  readonly strength: ManifestStrength;
  readonly app?: string;
  /** The version this manifest describes (file lists), if it says. */
  readonly version?: string;
  /** File lists: every file of the version; a module not listed is NOT_IN_MANIFEST. */
  readonly files?: readonly ListedFile[];
  /** Files under this prefix only (a bundle's seal covers its bundle; '' = the whole app). */
  readonly scope?: string;
  /** The list only vouches for files (explains); another check already reports where it fails (a bundle's seal). */
  readonly vouchOnly?: boolean;
  /** Feeds: the versions the vendor published. `latestOnly` feeds (latest.yml) name only the newest. */
  readonly versions?: readonly string[];
  readonly latestOnly?: boolean;
  /** The versions are bundle versions (CFBundleVersion): a Sparkle appcast that gives only `sparkle:version`. */
  readonly versionsAre?: 'bundle-version';
  /** A digest of the manifest's bytes: a new manifest re-judges every file, an unchanged one only what changed. */
  readonly digest: string;
  /** Extra facts for evidence (installer hashes, publisher name, feed URL, key id, sequence). */
  readonly facts?: Readonly<Record<string, unknown>>;
}

/** A manifest that was read but must not be used: bad signature, wrong key, expired, replayed, malformed. */
export interface RejectedManifest {
  readonly name: string;
  readonly kind: ManifestKind;
  readonly reason: ManifestRejection;
  readonly message: string;
  readonly facts?: Readonly<Record<string, unknown>>;
}

export type ManifestRejection = 'malformed' | 'unsigned' | 'wrong-key' | 'untrusted-signer' | 'bad-signature' | 'expired' | 'not-yet-valid' | 'replayed' | 'wrong-app' | 'unavailable' | 'host-not-allowed';
