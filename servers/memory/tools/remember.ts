import { defineTool } from '../../../lib/mcp/define-tool.ts';
import { requireAgent } from '../../../lib/mcp/caller.ts';
import { RememberInput, RememberOutput } from '../../../schemas/memory/notes.ts';
import { PRIVATE, WRITE, type RegisterTool } from './deps.ts';

export const remember: RegisterTool = (server, { memory, log }) =>
  void defineTool(
    server,
    { log },
    {
      name: 'remember',
      title: 'Remember',
      description: 'Store a note in semantic memory: embedded and full-text indexed for recall.',
      scope: 'write',
      input: RememberInput,
      output: RememberOutput,
      annotations: WRITE,
      handler: async (args, { caller }) => {
        const item = await memory.notes.remember(requireAgent(caller), {
          ...args,
          scope: args.scope ?? PRIVATE,
        });
        return { structured: { item }, text: `remembered ${item.id}` };
      },
    },
  );
