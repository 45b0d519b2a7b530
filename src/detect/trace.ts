// explain(): the last decision about a pane, built from what the detector kept of it only when asked.
import type { Memory } from './memory.ts';
import type { DetectionTrace } from './types.ts';

export function traceOf(id: string, m: Memory, required: number): DetectionTrace | null {
  const o = m.last;
  if (!o || !m.published) return null;
  const iso = (ms: number) => new Date(ms).toISOString();
  const a = m.activity;
  return {
    id,
    at: iso(o.at),
    kind: m.published.kind,
    kindReason: o.kindReason,
    profile: o.profile ? o.profile.sources.join(', ') : null,
    rules: o.candidate.rules,
    matched: o.candidate.matched,
    candidate: o.candidate.classification,
    decision: o.candidate.why,
    published: m.published,
    stability: { pending: m.pending?.state ?? null, confirmations: m.pending?.count ?? 0, required, immediate: o.immediate },
    activity: {
      screenChangedAt: iso(o.screenChangedAt),
      meaningfulChangeAt: a.meaningfulChangeAt === null ? null : iso(a.meaningfulChangeAt),
      quietMs: o.quietMs,
      workAt: a.workAt === null ? null : iso(a.workAt),
      workQuietMs: a.workAt === null ? null : o.workQuietMs,
      lastChange: a.workWhy,
    },
  };
}
