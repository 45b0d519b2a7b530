// A store's own account of a change (StoreChange) as an event of the change stream.
import type { StoreChange } from '../store/types.ts';
import type { ChangeEvent } from './schemas.ts';

export function toChangeEvent(change: StoreChange, stale = false): ChangeEvent {
  const base = change.type === 'agent' ? { type: 'agent' as const, seq: change.seq, agent: change.record, from: change.from } : { type: 'removed' as const, seq: change.seq, id: change.id };
  return stale ? { ...base, stale: true } : base;
}
