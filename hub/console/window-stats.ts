/**
 * Rates and latency quantiles over a recent window, from cumulative Prometheus-style readings taken once a
 * second: the difference between the newest reading and the one `seconds` before it.
 */

/** Cumulative bucket counts of one histogram series: upper bound (seconds; Infinity last) → count. */
export type Buckets = ReadonlyMap<number, number>;

/** Per second over the window, from two readings of a counter (a reset counts from zero). */
export function ratePerSecond(newer: number, older: number, seconds: number): number {
  if (seconds <= 0) return 0;
  const delta = newer >= older ? newer - older : newer;
  return delta / seconds;
}

/** The observations that fell in the window, per bucket (still cumulative). */
export function bucketDelta(newer: Buckets, older: Buckets | undefined): Map<number, number> {
  const out = new Map<number, number>();
  for (const [bound, count] of newer) {
    const before = older?.get(bound) ?? 0;
    out.set(bound, count >= before ? count - before : count);
  }
  return out;
}

/**
 * The q-quantile (0..1) of a cumulative histogram, interpolated linearly within its bucket as Prometheus's
 * histogram_quantile does; the highest finite bound when it falls in the +Inf bucket; null when empty.
 */
export function histogramQuantile(q: number, buckets: ReadonlyMap<number, number>): number | null {
  const bounds = [...buckets.keys()].sort((a, b) => a - b);
  const total = buckets.get(Infinity) ?? (bounds.length ? (buckets.get(bounds.at(-1) as number) ?? 0) : 0);
  if (total <= 0) return null;
  const rank = q * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const bound of bounds) {
    const count = buckets.get(bound) ?? 0;
    if (count >= rank) {
      if (bound === Infinity) return lowerBound;
      const inBucket = count - lowerCount;
      return inBucket <= 0 ? bound : lowerBound + ((bound - lowerBound) * (rank - lowerCount)) / inBucket;
    }
    lowerBound = bound;
    lowerCount = count;
  }
  return lowerBound;
}
