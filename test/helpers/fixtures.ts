// Moved to scripts/lib/fixtures.ts (scripts use it too, and scripts never import test helpers).
export * from '../../scripts/lib/fixtures.ts';
