import type { ResolvedDeployment } from './routing-table.ts';

/** MCP sampling's modelPreferences: name hints in preference order, and 0..1 priorities. */
export interface ModelPreferences {
  hints?: Array<{ name?: string | undefined }> | undefined;
  costPriority?: number | undefined;
  speedPriority?: number | undefined;
  intelligencePriority?: number | undefined;
}

/** Index of the first hint naming the deployment (substring of its model, id or an alias), or -1. */
export function hintRank(d: ResolvedDeployment, hints: ModelPreferences['hints']): number {
  const names = [d.model, d.id, ...d.aliases].map((n) => n.toLowerCase());
  return (hints ?? []).findIndex((h) => {
    const hint = h.name?.toLowerCase();
    return !!hint && names.some((n) => n.includes(hint));
  });
}

/** How well a deployment fits the priorities: cheap (low cost), fast and capable, weighted by the caller. */
export function preferenceScore(d: ResolvedDeployment, p: ModelPreferences): number {
  return (
    (p.costPriority ?? 0) * (1 - d.cost) +
    (p.speedPriority ?? 0) * d.speed +
    (p.intelligencePriority ?? 0) * d.intelligence
  );
}

/**
 * Orders deployments the way the MCP spec asks clients to treat preferences: deployments matching a hint
 * first (earlier hints win), then by the weighted priority score; ties keep the given order.
 */
export function orderByPreferences(
  deployments: readonly ResolvedDeployment[],
  p: ModelPreferences,
): ResolvedDeployment[] {
  const rank = (d: ResolvedDeployment) => {
    const r = hintRank(d, p.hints);
    return r < 0 ? Number.POSITIVE_INFINITY : r;
  };
  return deployments
    .map((d, i) => ({ d, i, rank: rank(d), score: preferenceScore(d, p) }))
    .sort((a, b) => a.rank - b.rank || b.score - a.score || a.i - b.i)
    .map(({ d }) => d);
}
