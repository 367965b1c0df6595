// Moved to scripts/lib/pe-mutate.ts (scripts use it too, and scripts never import test helpers).
export * from '../../scripts/lib/pe-mutate.ts';
