// Moved to scripts/lib/pe-files.ts (scripts use it too, and scripts never import test helpers).
export * from '../../scripts/lib/pe-files.ts';
