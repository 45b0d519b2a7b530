// The classifier seam: the loop hands each pane's latest view here and publishes what comes back.
import { z } from 'zod';
import { AgentKindSchema, AgentStateSchema, StateDetailSchema } from '../schemas.ts';
import type { PaneInfo } from '../tmux/types.ts';

export interface ClassifyInput {
  id: string; // agent id, stable while the pane lives; the key of any per-agent memory
  pane: PaneInfo;
  screen: string; // latest captured text (may be from an earlier cycle when the capture cache hit)
  screenChangedAt: number; // epoch ms the screen content last changed
  now: number; // epoch ms
}

export const ClassificationSchema = z
  .object({ kind: AgentKindSchema, state: AgentStateSchema, detail: StateDetailSchema })
  .describe('A kind and state with the evidence for them');
export type Classification = z.infer<typeof ClassificationSchema>;

export interface Classifier {
  /**
   * A returned classification is never changed afterwards. Returning the same object while nothing changed
   * lets the loop skip building and hashing the pane's observation.
   */
  classify(input: ClassifyInput): Classification;
  /** The pane is gone: drop whatever is remembered about it. */
  forget(id: string): void;
  /**
   * Upkeep that classify() would otherwise do on its way (reading /proc for process trees). The loop calls it
   * while tmux works on a cycle's lists, when this process has nothing else to do.
   */
  prepare?(): void;
}

/** One process of a pane's tree, as /proc shows it (or a test injects it). */
export interface ProcessInfo {
  pid: number;
  ppid: number;
  comm: string; // /proc/<pid>/comm: the executable's name, at most 15 characters
  argv: string[]; // /proc/<pid>/cmdline split on NUL; [] for kernel threads or when unreadable
}

export const RuleAttemptSchema = z
  .object({
    id: z.string(),
    priority: z.number(),
    region: z.string().describe('The part of the screen the rule looks at'),
    state: AgentStateSchema.describe('The state the rule maps to'),
    matched: z.boolean(),
    evidence: z.string().optional().describe('The matching line, secrets redacted'),
    note: z.string().optional().describe('Why a rule that could not apply was passed over (condition unmet, suppressed by `unless`)'),
  })
  .describe('One rule the engine tried on a screen');
export type RuleAttempt = z.infer<typeof RuleAttemptSchema>;

export const DetectionTraceSchema = z
  .object({
    id: z.string(),
    at: z.string().describe('ISO time of the observation'),
    kind: AgentKindSchema,
    kindReason: z.string().describe('Why the pane has its kind: "process 1234 `node …/claude` matched claude-code", "hint", …'),
    profile: z.string().nullable().describe('Profile source file(s) for the kind'),
    rules: z.array(RuleAttemptSchema),
    matched: z.array(z.string()).describe('Ids of the rules that matched, best first'),
    candidate: ClassificationSchema.describe('What this observation alone says'),
    decision: z.string().describe('Why the candidate won: priority, time signals, pane/process facts'),
    published: ClassificationSchema.describe('What was returned (after stability)'),
    stability: z.object({
      pending: AgentStateSchema.nullable().describe('A state seen but not yet confirmed'),
      confirmations: z.number().int().describe('Observations of `pending` so far'),
      required: z.number().int(),
      immediate: z.boolean().describe('Published without confirmation (pane died, process gone, first sight, …)'),
    }),
    activity: z.object({
      screenChangedAt: z.string().describe('Raw change, as the loop reported it'),
      meaningfulChangeAt: z.string().nullable().describe('Last change that survived normalisation (spinners, clocks, counters)'),
      quietMs: z.number().nullable(),
      workAt: z
        .string()
        .nullable()
        .optional()
        .describe('Last change that was work (text appended, not a redraw in place); judged for activity-fallback kinds only'),
      workQuietMs: z.number().nullable().optional().describe('Milliseconds since workAt'),
      lastChange: z
        .string()
        .nullable()
        .optional()
        .describe('How the last screen change was judged: "3 new lines scrolled in", "1 line(s) redrawn in place", …'),
    }),
  })
  .describe('Why a pane has its kind and state: everything detection looked at');
export type DetectionTrace = z.infer<typeof DetectionTraceSchema>;
