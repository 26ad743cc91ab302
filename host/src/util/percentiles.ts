// Percentiles of samples, one way for every report (a monitor's rule-install times, the
// primary's bus round trips, the cluster demo, the trace analysis): nearest rank over the
// sorted samples, so a reported p99 is always one of the samples.

/** The q-quantile (0 < q ≤ 1) of ascending values by nearest rank; undefined when there are none. */
export function nearestRank(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

export interface Summary {
  n: number;
  p50: number;
  p99: number;
  max: number;
  mean: number;
}

/** n, p50, p99, max and mean of samples (each rounded to `decimals` when given), or null when there are none. */
export function summarize(samples: readonly number[], decimals?: number): Summary | null {
  if (samples.length === 0) return null;
  const s = [...samples].sort((a, b) => a - b);
  const scale = decimals === undefined ? 0 : 10 ** decimals;
  const r = (v: number) => (scale ? Math.round(v * scale) / scale : v);
  return { n: s.length, p50: r(nearestRank(s, 0.5)), p99: r(nearestRank(s, 0.99)), max: r(s[s.length - 1]), mean: r(s.reduce((a, b) => a + b, 0) / s.length) };
}
