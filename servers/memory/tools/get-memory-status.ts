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
        'The active embedder, every vector space with its size, and whether notes await embedding.',
      scope: 'read',
      input: MemoryStatusInput,
      output: MemoryStatusOutput,
      annotations: READ,
      handler: async () => {
        const status = await memory.notes.status();
        return { structured: status, text: `${status.embedder} × ${status.dimension}` };
      },
    },
  );
