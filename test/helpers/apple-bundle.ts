// Builds signed .app bundles for tests: Info.plist, resources, nested code, a CodeResources seal (files/files2,
// rules/rules2 as Apple's codesign writes them) and a main executable signed over both.
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { build as buildPlist } from 'plist';
import { signMacho, type SigningIdentity } from './apple-signer.ts';

export interface BundleSpec {
  readonly name: string;
  readonly identifier: string;
  readonly teamId?: string;
  readonly identity?: SigningIdentity;
  /** Unsigned-ready thin Mach-O for Contents/MacOS/<name>. */
  readonly executable: Uint8Array;
  /** Paths relative to Contents/ → content. */
  readonly resources?: Readonly<Record<string, string | Uint8Array>>;
  /** Already-signed nested code, relative to Contents/ (e.g. Frameworks/libffmpeg.dylib) → bytes and its cdhash. */
  readonly nested?: Readonly<Record<string, { readonly bytes: Uint8Array; readonly cdhash: string; readonly requirement: string }>>;
  readonly shortVersion?: string;
  readonly version?: string;
  readonly stapleTicket?: boolean;
  readonly entitlements?: string;
  /** More Info.plist keys (Sparkle's SUFeedURL / SUPublicEDKey, …). */
  readonly info?: Readonly<Record<string, string | boolean | number>>;
}

const RULES = {
  '^version.plist$': true,
  '^Resources/': true,
  '^Resources/.*\\.lproj/': { optional: true, weight: 1000 },
  '^Resources/.*\\.lproj/locversion.plist$': { omit: true, weight: 1100 },
  '^Resources/Base\\.lproj/': { weight: 1010 },
};
const RULES2 = {
  '.*\\.dSYM($|/)': { weight: 11 },
  '^(.*/)?\\.DS_Store$': { omit: true, weight: 2000 },
  '^(Frameworks|SharedFrameworks|PlugIns|Plug-ins|XPCServices|Helpers|MacOS|Library/(Automator|Spotlight|LoginItems))/': { nested: true, weight: 10 },
  '^.*': true,
  '^Info\\.plist$': { omit: true, weight: 20 },
  '^PkgInfo$': { omit: true, weight: 20 },
  '^Resources/': { weight: 20 },
  '^Resources/.*\\.lproj/': { optional: true, weight: 1000 },
  '^[^/]+$': { nested: true, weight: 10 },
  '^embedded\\.provisionprofile$': { weight: 20 },
  '^version\\.plist$': { weight: 20 },
};

const sha = (alg: 'sha1' | 'sha256', b: Uint8Array | string): Buffer => createHash(alg).update(b).digest();

export async function buildAppBundle(parent: string, spec: BundleSpec): Promise<string> {
  const root = join(parent, `${spec.name}.app`);
  const contents = join(root, 'Contents');
  const write = (rel: string, data: string | Uint8Array): void => {
    mkdirSync(dirname(join(contents, rel)), { recursive: true });
    writeFileSync(join(contents, rel), data);
  };
  const info = Buffer.from(
    buildPlist({
      CFBundleExecutable: spec.name,
      CFBundleIdentifier: spec.identifier,
      CFBundleName: spec.name,
      CFBundlePackageType: 'APPL',
      CFBundleShortVersionString: spec.shortVersion ?? '1.0.0',
      CFBundleVersion: spec.version ?? '100',
      ...(spec.info ?? {}),
    }),
  );
  write('Info.plist', info);
  const files: Record<string, Buffer> = {};
  const files2: Record<string, unknown> = {};
  for (const [rel, data] of Object.entries(spec.resources ?? {})) {
    write(rel, data);
    files[rel] = sha('sha1', data);
    // as codesign does, a file under an optional rule (localisations) carries optional = true itself
    files2[rel] = { hash: sha('sha1', data), hash2: sha('sha256', data), ...(/\.lproj\//.test(rel) ? { optional: true } : {}) };
  }
  for (const [rel, code] of Object.entries(spec.nested ?? {})) {
    write(rel, code.bytes);
    files2[rel] = { cdhash: Buffer.from(code.cdhash, 'hex'), requirement: code.requirement };
  }
  const codeResources = Buffer.from(buildPlist({ files, files2, rules: RULES, rules2: RULES2 } as never));
  write('_CodeSignature/CodeResources', codeResources);
  const exe = await signMacho(spec.executable, {
    identifier: spec.identifier,
    ...(spec.teamId ? { teamId: spec.teamId } : {}),
    ...(spec.identity ? { identity: spec.identity } : {}),
    ...(spec.entitlements ? { entitlements: spec.entitlements } : {}),
    infoPlist: info,
    codeResources,
    flags: 0x10000,
  });
  write(`MacOS/${spec.name}`, exe);
  if (spec.stapleTicket) write('CodeResources', Buffer.from('s8ChkTicket (test stand-in for a stapled notarization ticket)'));
  return root;
}
