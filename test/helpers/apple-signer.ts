// Moved to scripts/lib/apple-signer.ts (scripts use it too, and scripts never import test helpers).
export * from '../../scripts/lib/apple-signer.ts';
