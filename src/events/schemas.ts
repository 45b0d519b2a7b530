// The shapes of the change stream: what every consumer (SSE, webhooks, board, CLI) receives.
import { z } from 'zod';
import { AgentSchema, AgentStateSchema } from '../schemas.ts';

export const AgentChangeSchema = z
  .object({
    type: z.literal('agent'),
    seq: z.number().int().min(0).describe('Global sequence number the change was written at'),
    agent: AgentSchema,
    from: AgentStateSchema.nullable().describe('State before this version (null: a new agent); equal to agent.state when only the screen or metadata changed'),
    stale: z.boolean().optional().describe('Made while Redis was away: seq is the last shared one, and the change is published again with its own seq once Redis is back'),
  })
  .describe('An agent whose version moved');

export const RemovedChangeSchema = z
  .object({
    type: z.literal('removed'),
    seq: z.number().int().min(0),
    id: z.string(),
    stale: z.boolean().optional(),
  })
  .describe('An agent that is gone (pane closed or its monitor stopped)');

export const ChangeEventSchema = z.discriminatedUnion('type', [AgentChangeSchema, RemovedChangeSchema]);
export type ChangeEvent = z.infer<typeof ChangeEventSchema>;

/** "What you hold may be incomplete: take a fresh snapshot" (the `since` given was too old or unknown). */
export const ResetSchema = z.object({ type: z.literal('reset'), seq: z.number().int().min(0) });
export type Reset = z.infer<typeof ResetSchema>;

export type StreamItem = ChangeEvent | Reset;

export interface ChangeStream {
  /** The highest seq this stream has published (or reset to): a subscriber from now on hears every change after it. */
  readonly seq: number;
  /**
   * Replays the events with seq > since (in seq order) then live ones. When `since` is too old or unknown the
   * listener first gets { type: 'reset', seq } meaning "take a fresh snapshot"; `since` null means live ones only.
   * The replay happens before subscribe returns; live events come later, never inside a store write. Returns the
   * unsubscribe.
   */
  subscribe(since: number | null, listener: (e: StreamItem) => void): () => void;
  /**
   * The same items, handed over in runs (the replay, then what was published since the subscriber's last run),
   * so a subscriber can send what it heard in one go. Subscribers at the same point share each run's array.
   */
  subscribeRuns(since: number | null, onRun: (run: readonly StreamItem[]) => void): () => void;
}
