import { defineTool } from '../../../lib/mcp/define-tool.ts';
import { requireAgent } from '../../../lib/mcp/caller.ts';
import { ForgetInput, ForgetOutput } from '../../../schemas/memory/notes.ts';
import { DELETE, type RegisterTool } from './deps.ts';

export const forget: RegisterTool = (server, { memory, log }) =>
  void defineTool(
    server,
    { log },
    {
      name: 'forget',
      title: 'Forget',
      description: 'Forget notes by id: recall stops returning them (they are invalidated, kept in history).',
      scope: 'write',
      input: ForgetInput,
      output: ForgetOutput,
      annotations: DELETE,
      handler: async ({ ids, reason }, { caller }) => {
        const result = await memory.notes.forget(requireAgent(caller), ids, reason);
        return { structured: result, text: `forgot ${result.forgotten.length} notes` };
      },
    },
  );
