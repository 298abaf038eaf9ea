import { McpServer } from '@modelcontextprotocol/server';
import type { Logger } from '../../lib/log.ts';
import type { Memory } from './domain/memory.ts';
import { addGroupMember } from './tools/add-group-member.ts';
import { addObservations } from './tools/add-observations.ts';
import { createEntities } from './tools/create-entities.ts';
import { createGroup } from './tools/create-group.ts';
import { createRelations } from './tools/create-relations.ts';
import { deleteEntities } from './tools/delete-entities.ts';
import { deleteObservations } from './tools/delete-observations.ts';
import { deleteRelations } from './tools/delete-relations.ts';
import type { RegisterTool } from './tools/deps.ts';
import { forget } from './tools/forget.ts';
import { getMemoryStatus } from './tools/get-memory-status.ts';
import { listGroups } from './tools/list-groups.ts';
import { openNodes } from './tools/open-nodes.ts';
import { queryEpisodes } from './tools/query-episodes.ts';
import { readGraph } from './tools/read-graph.ts';
import { recall } from './tools/recall.ts';
import { recordEpisode } from './tools/record-episode.ts';
import { reembedMemories } from './tools/reembed-memories.ts';
import { remember } from './tools/remember.ts';
import { removeGroupMember } from './tools/remove-group-member.ts';
import { searchNodes } from './tools/search-nodes.ts';
import { syncPull } from './tools/sync-pull.ts';
import { syncPush } from './tools/sync-push.ts';

export interface MemoryServerDeps {
  memory: Memory;
  log: Logger;
}

const TOOLS: RegisterTool[] = [
  createEntities,
  createRelations,
  addObservations,
  deleteEntities,
  deleteObservations,
  deleteRelations,
  readGraph,
  searchNodes,
  openNodes,
  recordEpisode,
  queryEpisodes,
  remember,
  recall,
  forget,
  reembedMemories,
  getMemoryStatus,
  syncPush,
  syncPull,
  createGroup,
  addGroupMember,
  removeGroupMember,
  listGroups,
];

/** The memory MCP server over shared state: one per client session. */
export function buildServer(deps: MemoryServerDeps): McpServer {
  const server = new McpServer(
    { name: 'plexus-memory', version: '0.1.0' },
    {
      instructions:
        'Long-term memory: a knowledge graph (compatible with the reference memory server), an episodic archive, semantic notes with hybrid recall, and federation sync. Everything is scoped private, group or public.',
    },
  );
  for (const register of TOOLS) register(server, deps);
  return server;
}
