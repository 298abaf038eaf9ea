import { defineTool } from '../../../lib/mcp/define-tool.ts';
import { ReembedInput, ReembedOutput } from '../../../schemas/memory/notes.ts';
import { WRITE, type RegisterTool } from './deps.ts';

export const reembedMemories: RegisterTool = (server, { memory, log }) =>
  void defineTool(
    server,
    { log },
    {
      name: 'reembed_memories',
      title: 'Re-embed Memories',
      description:
        "Embed notes that have no vector in the active embedder's space (after changing embedder or dimension).",
      scope: 'admin',
      input: ReembedInput,
      output: ReembedOutput,
      annotations: { ...WRITE, idempotentHint: true },
      handler: async ({ limit }) => {
        const result = await memory.notes.reembed(limit ?? 10_000);
        return {
          structured: result,
          text: `embedded ${result.embedded} notes${result.remaining ? ', more remain' : ''}`,
        };
      },
    },
  );
