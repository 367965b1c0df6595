// The record sealwatch keeps for every file it inspects, with Elastic Common Schema field names where ECS has them
// (file.*, code_signature.*, pe.*) so that records drop into a SIEM unchanged.
import { type ProblemCode, type ProblemSeverity } from '../verify/problems.ts';

export type SignatureStatus =
  /** Valid and chains to a trusted root under policy. */
  | 'trusted'
  /** Cryptographically intact, but not trusted (unknown root, expired without timestamp, wrong EKU, …). */
  | 'untrusted'
  /** Broken: the file or the signature was changed after signing, or the signature structure is unusable. */
  | 'invalid'
  | 'unsigned'
  /** Apple: ad-hoc (no signer identity) and linker-signed are their own states, never "signed". */
  | 'adhoc'
  | 'linker-signed';

export interface ProblemRecord {
  readonly code: ProblemCode;
  readonly severity: ProblemSeverity;
  readonly message: string;
  readonly signature?: string;
}

export interface CertificateRecord {
  readonly subject_name: string;
  readonly issuer_name: string;
  readonly serial_number: string;
  readonly not_before: string;
  readonly not_after: string;
  readonly thumbprint_sha256: string;
}

export interface SignatureRecord {
  readonly index: string;
  readonly kind: 'embedded' | 'nested' | 'catalog' | 'slice';
  readonly subject_name: string | undefined;
  readonly issuer_name: string | undefined;
  readonly organization: string | undefined;
  readonly digest_algorithm: string | undefined;
  readonly valid: boolean;
  readonly trusted: boolean;
  readonly thumbprint_sha256: string | undefined;
  readonly signed_digest?: string;
  readonly computed_digest?: string;
  /** Authenticode: which image-digest procedure matched signed_digest ("straight" pass, or the PE/COFF spec's
   * "sections" procedure for images whose sections leave gaps). */
  readonly digest_method?: 'straight' | 'sections';
  readonly program_name?: string;
  readonly more_info?: string;
  readonly catalog?: { readonly name: string; readonly member: string; readonly matched_by: string };
  readonly timestamp:
    | { readonly kind: 'rfc3161' | 'legacy'; readonly time: string | undefined; readonly valid: boolean; readonly trusted: boolean; readonly signer: string | undefined }
    | undefined;
  readonly chain: readonly CertificateRecord[];
  // Apple code signing, per slice:
  readonly arch?: string;
  readonly status?: string;
  readonly team_id?: string;
  readonly signing_id?: string;
  readonly cdhash?: string;
  readonly cdhashes?: readonly { readonly slot: number; readonly hash_type: string; readonly cdhash: string; readonly pages: number; readonly pages_match: boolean }[];
  readonly flags?: readonly string[];
  readonly runtime_version?: string;
  readonly cert_kind?: string;
  readonly certificate_expired?: boolean;
  readonly entitlements?: Readonly<Record<string, unknown>>;
  readonly designated_requirement?: string;
  readonly signing_time?: string;
}

export interface CodeSignatureRecord {
  readonly exists: boolean;
  readonly status: SignatureStatus;
  readonly valid: boolean;
  readonly trusted: boolean;
  readonly source: 'embedded' | 'catalog' | 'both' | 'none';
  readonly subject_name: string | undefined;
  readonly issuer_name: string | undefined;
  readonly digest_algorithm: string | undefined;
  readonly timestamp: string | undefined;
  readonly thumbprint_sha256: string | undefined;
  /** Apple: of the first signed slice. */
  readonly team_id?: string;
  readonly signing_id?: string;
  readonly cdhash?: string;
  readonly flags?: readonly string[];
  readonly signatures: readonly SignatureRecord[];
  readonly problems: readonly ProblemRecord[];
}

export interface MachoSliceRecord {
  readonly arch: string;
  readonly kind: string;
  readonly offset: number;
  readonly size: number;
  readonly uuid?: string;
  readonly platform?: { readonly name: string; readonly min_os: string; readonly sdk: string };
  readonly id_dylib?: { readonly name: string; readonly current_version: string; readonly compatibility_version: string };
  readonly dylibs: readonly { readonly name: string; readonly kind: string; readonly current_version: string; readonly compatibility_version: string }[];
  readonly rpaths: readonly string[];
  readonly constructors: number;
  readonly imports: readonly string[];
}

/** An Apple bundle: its identity, versions and the state of its resource seal. */
export interface BundleRecord {
  readonly kind: string;
  readonly identifier?: string;
  readonly executable?: string;
  readonly short_version?: string;
  readonly version?: string;
  readonly files: number;
  readonly sealed_files: number;
  readonly stapled_ticket: boolean;
  readonly seal: {
    readonly added: readonly string[];
    readonly modified: readonly string[];
    readonly missing: readonly string[];
    readonly type_changed: readonly string[];
    readonly nested_invalid: readonly string[];
  };
}

export interface ModuleRecord {
  readonly file: {
    readonly path: string;
    readonly name: string;
    /** For a bundle: the total size of its files. */
    readonly size: number;
    readonly mtime?: string;
    /**
     * SHA-256 always. SHA-1 and MD5 only when recorded for IoC matching (`--ioc-digests`; SHA-1 also when Windows
     * catalogs are configured): absent otherwise. For a bundle: sha256 is a tree hash over every item's path and
     * content hash, and sha1/md5 are absent.
     */
    readonly hash: { readonly sha256: string; readonly sha1?: string; readonly md5?: string };
    /** A data file that starts with `#!`: the interpreter it names (it is a script whatever its name). */
    readonly interpreter?: string;
  };
  readonly module: {
    readonly format: 'pe' | 'macho' | 'elf' | 'catalog' | 'p7x' | 'bundle' | 'unknown';
    readonly arch: readonly string[];
    readonly kind: string | undefined;
    readonly bits?: number;
    readonly version: { readonly file: string | undefined; readonly product: string | undefined };
    readonly parse_issues?: readonly string[];
  };
  readonly pe?: {
    readonly company?: string;
    readonly product?: string;
    readonly description?: string;
    readonly file_version?: string;
    readonly product_version?: string;
    readonly file_version_number?: string;
    readonly product_version_number?: string;
    readonly original_file_name?: string;
    readonly internal_name?: string;
    readonly dotnet: boolean;
    /** Image digests: SHA-256 always; SHA-1 when a signature uses it, catalogs are configured or `--ioc-digests`. */
    readonly authentihash: { readonly sha1?: string; readonly sha256: string };
    readonly checksum: { readonly stored: number; readonly computed: number };
    /** COFF TimeDateStamp as a date, when it looks like one (reproducible builds put a hash there). */
    readonly compiled_at?: string;
    readonly certificate_table_size: number;
    readonly overlay_bytes: number;
    readonly imports: readonly { readonly dll: string; readonly functions: readonly string[]; readonly delay_loaded: boolean }[];
    /** In a module that imports GetProcAddress: capability API names found as C strings in its data sections (what it
     * can resolve at run time without importing). Absent when none. */
    readonly dynamic_imports?: readonly string[];
  };
  readonly macho?: {
    readonly universal: boolean;
    readonly slices: readonly MachoSliceRecord[];
    /** In a file that imports dlsym: capability API names found as C strings in its __TEXT,__cstring (any slice). */
    readonly dynamic_imports?: readonly string[];
  };
  readonly bundle?: BundleRecord;
  readonly elf?: {
    readonly build_id?: string;
    readonly soname?: string;
    readonly interpreter?: string;
    readonly needed: readonly string[];
    readonly rpath: readonly string[];
    readonly runpath: readonly string[];
  };
  readonly code_signature: CodeSignatureRecord;
  /** Set when the file could not be parsed as its format claims: the record is still kept. */
  readonly error?: { readonly code: string; readonly message: string };
  /** Set when the path holds no readable regular file (scan only): a link, a FIFO/device/socket, or a file that could
   * not be read. Recorded so that history never silently loses a path. */
  readonly entry?: EntryState;
}

export interface EntryState {
  readonly type: 'symlink' | 'fifo' | 'socket' | 'char-device' | 'block-device' | 'mount-point' | 'other' | 'unreadable';
  /** Symbolic links: where they point, and whether that stays inside the scanned root. */
  readonly target?: string;
  readonly inside?: boolean;
  readonly reason?: string;
}

/** Formats that are code: each is parsed and verified (PE, Mach-O, ELF, an app bundle); everything else is data. */
export const CODE_FORMATS: ReadonlySet<string> = new Set(['pe', 'macho', 'elf', 'bundle']);
