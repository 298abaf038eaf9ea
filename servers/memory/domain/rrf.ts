/** The usual reciprocal rank fusion constant: damps the head so one list cannot dominate. */
export const RRF_K = 60;

export interface Fused<T> {
  item: T;
  score: number;
  /** 1-based rank in each list it appeared in. */
  ranks: (number | null)[];
}

/** Reciprocal rank fusion: score = Σ 1 / (k + rank) over the lists an item appears in. */
export function reciprocalRankFusion<T>(
  lists: readonly (readonly T[])[],
  key: (item: T) => string,
  k = RRF_K,
): Fused<T>[] {
  const fused = new Map<string, Fused<T>>();
  lists.forEach((list, li) => {
    list.forEach((item, i) => {
      const id = key(item);
      let entry = fused.get(id);
      if (!entry) {
        entry = { item, score: 0, ranks: lists.map(() => null) };
        fused.set(id, entry);
      }
      entry.score += 1 / (k + i + 1);
      entry.ranks[li] = i + 1;
    });
  });
  return [...fused.values()].sort((a, b) => b.score - a.score);
}
