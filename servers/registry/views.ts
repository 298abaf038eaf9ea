import type { AgentView } from './domain/agents.ts';
import type { ToolRecord } from './domain/store.ts';
import type { AgentView as AgentWire, ToolView as ToolWire } from '../../schemas/registry/tools.ts';
import type { AgentCard } from '../../schemas/agent-card.ts';
import type { JsonValue } from '../../schemas/common.ts';

// Domain records → the snake_case shapes of schemas/registry/tools.ts.

export function agentWire(agent: AgentView): AgentWire {
  return {
    did: agent.did,
    name: agent.name,
    role: agent.role,
    capabilities: agent.capabilities,
    card: agent.card as AgentCard,
    status: agent.status,
    load: agent.load,
    active_tasks: agent.activeTasks,
    last_heartbeat: agent.lastHeartbeat,
    registered_at: agent.registeredAt,
    updated_at: agent.updatedAt,
    trust: agent.trust,
  };
}

export function toolWire(tool: ToolRecord): ToolWire {
  return {
    id: tool.id,
    kind: tool.kind,
    name: tool.name,
    version: tool.version,
    description: tool.description,
    capabilities: tool.capabilities,
    author: tool.author,
    entry: tool.entry as Record<string, JsonValue>,
    package_sha256: tool.packageSha256,
    package_bytes: tool.packageBytes,
    published_at: tool.publishedAt,
    updated_at: tool.updatedAt,
  };
}
