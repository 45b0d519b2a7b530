// Timing helpers shared by the benches: repeat a round, report percentiles in milliseconds.
import type { Registry } from 'prom-client';

export interface Percentiles {
  p50_ms: number;
  p99_ms: number;
  rounds: number;
}

/** Nearest-rank percentile of already sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** Runs `round` `warmup` times unmeasured, then `rounds` times measured. */
export async function measure(rounds: number, round: () => Promise<unknown>, warmup = 1): Promise<Percentiles> {
  for (let i = 0; i < warmup; i++) await round();
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const started = performance.now();
    await round();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  const round2 = (v: number) => Math.round(v * 100) / 100;
  return { p50_ms: round2(percentile(times, 50)), p99_ms: round2(percentile(times, 99)), rounds };
}

/** `--name value` from argv, or the fallback. */
export function argValue(argv: readonly string[], name: string, fallback: string): string {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : fallback;
}

/** Cumulative bucket counts of a prom-client histogram (upper bound in seconds → count), read from a registry. */
export async function histogramBuckets(registry: Registry, name: string): Promise<Map<number, number>> {
  const metric = await registry.getSingleMetric(name)?.get();
  const buckets = new Map<number, number>();
  for (const v of metric?.values ?? []) {
    if ((v as { metricName?: string }).metricName !== `${name}_bucket`) continue;
    const le = v.labels.le;
    buckets.set(le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le), v.value);
  }
  return buckets;
}

/**
 * The p-th percentile (ms) of what a histogram saw between two readings, interpolated within its bucket as
 * Prometheus's histogram_quantile does: an estimate, as fine as the buckets.
 */
export function histogramPercentile(before: Map<number, number>, after: Map<number, number>, p: number): number {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const counts = bounds.map((le) => after.get(le)! - (before.get(le) ?? 0));
  const total = counts.at(-1) ?? 0;
  if (total === 0) return Number.NaN;
  const rank = (p / 100) * total;
  for (let i = 0; i < bounds.length; i++) {
    if (counts[i]! < rank) continue;
    const lower = i === 0 ? 0 : bounds[i - 1]!;
    const below = i === 0 ? 0 : counts[i - 1]!;
    if (!Number.isFinite(bounds[i]!)) return lower * 1000;
    return (lower + ((bounds[i]! - lower) * (rank - below)) / Math.max(1, counts[i]! - below)) * 1000;
  }
  return Number.NaN;
}
