import { defineTool } from '../../../lib/mcp/define-tool.ts';
import { RecallInput, RecallOutput } from '../../../schemas/memory/notes.ts';
import { READ, type RegisterTool } from './deps.ts';

export const recall: RegisterTool = (server, { memory, log }) =>
  void defineTool(
    server,
    { log },
    {
      name: 'recall',
      title: 'Recall',
      description:
        'Find the notes most relevant to a query: BM25 full-text and vector similarity fused by reciprocal rank fusion.',
      scope: 'read',
      input: RecallInput,
      output: RecallOutput,
      annotations: READ,
      handler: async (args, { caller }) => {
        const items = await memory.notes.recall(caller.subject, args);
        return {
          structured: { items },
          text: items.map((h, i) => `${i + 1}. ${h.text.slice(0, 120)}`).join('\n') || 'nothing found',
        };
      },
    },
  );
