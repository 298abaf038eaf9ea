import type { Strategy } from '../../../schemas/llm/settings.ts';
import type { DeploymentState } from './deployment-state.ts';

export interface Candidate {
  id: string;
  state: DeploymentState;
}

/**
 * Orders one group's deployments for an attempt (stable: ties keep the configured order).
 * - priority: the configured order.
 * - least-busy: fewest requests in flight first.
 * - lowest-latency: lowest moving average of time to first token first; deployments not yet measured go
 *   first, so every deployment gets measured.
 * Health then splits the list: deployments whose last probe failed go after the rest (still tried, since
 * a probe can be stale). Cooling deployments are removed by the caller.
 */
export function orderCandidates(strategy: Strategy, candidates: readonly Candidate[]): Candidate[] {
  const indexed = candidates.map((c, i) => ({ c, i }));
  const key = (c: Candidate): number => {
    if (strategy === 'least-busy') return c.state.inFlight;
    if (strategy === 'lowest-latency') return c.state.ttftMs ?? -1;
    return 0;
  };
  const suspect = (c: Candidate) =>
    c.state.health === 'unreachable' || c.state.health === 'model_missing' ? 1 : 0;
  indexed.sort((a, b) => suspect(a.c) - suspect(b.c) || key(a.c) - key(b.c) || a.i - b.i);
  return indexed.map(({ c }) => c);
}
