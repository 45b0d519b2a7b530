// The detector's metrics: which rule decided each observation.
import { Counter, type Registry } from 'prom-client';

/** Registers the rule-hit counter; returns the callback the detector reports each deciding rule to. */
export function registerDetectorMetrics(registry: Registry): (kind: string, rule: string) => void {
  const ruleHits = new Counter({
    name: 'paneward_detection_rule_hits_total',
    help: 'Detection rules that decided an observation, by agent kind and rule id',
    labelNames: ['kind', 'rule'] as const,
    registers: [registry],
  });
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
