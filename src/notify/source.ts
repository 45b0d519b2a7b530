// What the notifier consumes of the change stream (src/events, `app.events`): a structural subset of its
// ChangeStream, so tests can drive the notifier with a plain in-memory emitter.
import type { z } from 'zod';
import type { AgentSchema, AgentStateSchema } from '../schemas.ts';

export type NotifiedAgent = z.infer<typeof AgentSchema>;
type AgentState = z.infer<typeof AgentStateSchema>;

export type NotifyEvent =
  | { type: 'agent'; seq: number; agent: NotifiedAgent; from: AgentState | null; stale?: boolean }
  | { type: 'removed'; seq: number; id: string; stale?: boolean }
  | { type: 'reset'; seq: number };

export interface ChangeSource {
  /** Events after `since` (null: from now on), then live ones; returns unsubscribe. */
  subscribe(since: number | null, listener: (event: NotifyEvent) => void): () => void;
}
