// Moved to scripts/lib/real-corpus.ts (scripts use it too, and scripts never import test helpers).
export * from '../../scripts/lib/real-corpus.ts';
