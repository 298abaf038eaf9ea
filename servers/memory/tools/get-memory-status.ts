import { defineTool } from '../../../lib/mcp/define-tool.ts';
import { MemoryStatusInput, MemoryStatusOutput } from '../../../schemas/memory/notes.ts';
import { READ, type RegisterTool } from './deps.ts';

export const getMemoryStatus: RegisterTool = (server, { memory, log }) =>
  void defineTool(
    server,
    { log },
    {
      name: 'get_memory_status',
      title: 'Memory Status',
      description:
        'The active embedder and whether it is semantic, every vector space with its size, and whether ' +
        'notes await embedding.',
      scope: 'read',
      input: MemoryStatusInput,
      output: MemoryStatusOutput,
      annotations: READ,
      handler: async () => {
        const status = await memory.notes.status();
        return { structured: status, text: describeEmbedder(status) };
      },
    },
  );

/** One line for people: which embedder, what that means for recall, and what to do about it. */
export function describeEmbedder(status: { embedder: string; dimension: number; semantic: boolean }): string {
  const space = `${status.embedder} × ${status.dimension}`;
  return status.semantic
    ? `${space}: semantic (related meaning is found)`
    : `${space}: lexical, not semantic (only shared words are found); for semantic recall set ` +
        `servers.memory.settings.embedder in plexus.json to {"kind": "ollama", "model": "nomic-embed-text", ` +
        `"dimension": 768}, restart the hub and run reembed_memories`;
}
