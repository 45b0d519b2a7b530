// The stability step: a new state is published once seen on `required` observations in a row, unless it is
// unambiguous (first sight, a kind change, a dead pane, an agent gone, a rule marked immediate).
import type { Candidate, Memory } from './memory.ts';
import type { Classification } from './types.ts';

export function stabilise(m: Memory, candidate: Candidate, required: number): { published: Classification; immediate: boolean } {
  const next = candidate.classification;
  const prev = m.published;
  let published: Classification;
  let immediate = false;
  if (!prev || candidate.immediate || prev.kind !== next.kind || prev.state === next.state) {
    immediate = !prev || candidate.immediate || prev.kind !== next.kind;
    published = next;
    m.pending = null;
  } else {
    m.pending = m.pending?.state === next.state ? { state: next.state, count: m.pending.count + 1 } : { state: next.state, count: 1 };
    if (m.pending.count >= required) {
      published = next;
      m.pending = null;
    } else {
      published = prev;
    }
  }
  m.published = published;
  return { published, immediate };
}
