// Where poll cycles spend their time, per phase, for the dashboard's "phases" panel and for finding which part
// of a slow cycle grew.
import { Histogram, type Registry } from 'prom-client';
import type { CycleStats } from '../loop/poller.ts';

const PHASES = { listMs: 'list', captureMs: 'capture', classifyMs: 'classify', storeMs: 'store' } as const;

export interface CyclePhases {
  observe(phases: CycleStats['phases']): void;
}

export function registerCyclePhases(registry: Registry): CyclePhases {
  const histogram = new Histogram({
    name: 'paneward_cycle_phase_duration_seconds',
    help: 'Time one poll cycle spent in a phase: list (tmux list), capture (tmux capture round trip), classify (CPU; overlaps capture), store (writes)',
    labelNames: ['phase'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56],
    registers: [registry],
  });
  const children = Object.entries(PHASES).map(([field, phase]) => [field as keyof typeof PHASES, histogram.labels(phase)] as const);
  return {
    observe(phases) {
      for (const [field, child] of children) child.observe(phases[field] / 1000);
    },
  };
}
