import type { z } from 'zod';
import type { RegistryClient } from '../lib/clients/registry.ts';
import type { AgentStatus } from '../schemas/registry/tools.ts';

export type AgentCounts = Record<z.infer<typeof AgentStatus>, number>;

/** Beyond this many agents a scrape stops paging: the gauge then says "at least". */
const MAX_AGENTS = 10_000;

/** Registered agents by status, as the registry lists them now. */
export async function countAgents(registry: RegistryClient): Promise<AgentCounts> {
  const counts: AgentCounts = { online: 0, stale: 0, offline: 0 };
  let seen = 0;
  let cursor: string | undefined;
  do {
    const page = await registry.findAgents({ limit: 100, ...(cursor ? { cursor } : {}) });
    for (const agent of page.agents) counts[agent.status]++;
    seen += page.agents.length;
    cursor = page.cursor ?? undefined;
  } while (cursor && seen < MAX_AGENTS);
  return counts;
}
