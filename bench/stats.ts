/** Summary of one figure over several runs: the median and the spread (min to max). */
export interface RunSummary {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

/** Returns the value at quantile `q` (0 to 1) of a list of numbers, by nearest rank. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) {
    throw new RangeError('quantile of an empty list');
  }
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank];
}

/** Summarizes the results of several runs of one figure. */
export function summarize(runs: readonly number[]): RunSummary {
  return { median: quantile(runs, 0.5), min: Math.min(...runs), max: Math.max(...runs) };
}

/**
 * Returns a seeded pseudo-random generator (mulberry32), so every run draws the same workload.
 * NOTE: written here because a benchmark needs only these few lines of a well-known algorithm.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Returns a sampler of ranks 0..n-1 with probability proportional to 1 / (rank + 1)^s: a Zipf distribution. */
export function zipfSampler(n: number, s: number, random: () => number): () => number {
  const cumulative = new Float64Array(n);
  let total = 0;
  for (let rank = 0; rank < n; rank += 1) {
    total += 1 / (rank + 1) ** s;
    cumulative[rank] = total;
  }
  return () => {
    const target = random() * total;
    let low = 0;
    let high = n - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (cumulative[middle] < target) {
        low = middle + 1;
      } else {
        high = middle;
      }
    }
    return low;
  };
}
