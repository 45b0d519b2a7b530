// Timing helpers shared by the benches: repeat a round, report percentiles in milliseconds.

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
