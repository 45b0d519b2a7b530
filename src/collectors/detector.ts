// The detector's metrics: which rule decided each observation.
import type { Counter, Registry } from 'prom-client';
import { metricsOn } from '../metrics.ts';

/** Registers the rule-hit counter; returns the callback the detector reports each deciding rule to. */
export function registerDetectorMetrics(registry: Registry): (kind: string, rule: string) => void {
  const ruleHits = metricsOn(registry).counter('paneward_detection_rule_hits_total', 'Detection rules that decided an observation, by agent kind and rule id', ['kind', 'rule']);
  // The detector reports a rule for every pane in every cycle: each (kind, rule) keeps its own child counter, as
  // inc() with a label object hashes the labels into a key on every call.
  const children = new Map<string, Map<string, Counter.Internal>>();
  return (kind, rule) => {
    let byRule = children.get(kind);
    if (!byRule) children.set(kind, (byRule = new Map()));
    let counter = byRule.get(rule);
    if (!counter) byRule.set(rule, (counter = ruleHits.labels(kind, rule)));
    counter.inc();
  };
}
