// Young-generation garbage collection in the quiet time between poll cycles, when node runs with --expose-gc
// (`npm start`, `npm run bench` and the image do). A cycle allocates enough that V8 would scavenge inside some
// cycles, and those made the slow tail (docs/performance.md). Collected after each cycle's upkeep instead, the
// garbage of the cycle is dead and cheap to drop, and a cycle seldom meets a collection.

type GcFunction = (options?: { type?: 'minor' | 'major'; execution?: 'sync' | 'async' }) => void;

/** A function that runs a minor GC now; null when node was started without --expose-gc. */
export function youngGenerationCollector(): (() => void) | null {
  const gc = (globalThis as { gc?: GcFunction }).gc;
  return typeof gc === 'function' ? () => gc({ type: 'minor' }) : null;
}
