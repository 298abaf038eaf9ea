import { defineTool } from '../../../lib/mcp/define-tool.ts';
import { requireAgent } from '../../../lib/mcp/caller.ts';
import { RecordEpisodeInput, RecordEpisodeOutput } from '../../../schemas/memory/episodes.ts';
import { PRIVATE, WRITE, type RegisterTool } from './deps.ts';

export const recordEpisode: RegisterTool = (server, { memory, log }) =>
  void defineTool(
    server,
    { log },
    {
      name: 'record_episode',
      title: 'Record Episode',
      description:
        'Append an episode (a message, event or step in a thread) to the episodic archive. Append-only.',
      scope: 'write',
      input: RecordEpisodeInput,
      output: RecordEpisodeOutput,
      annotations: WRITE,
      handler: async (args, { caller }) => {
        const episode = await memory.episodes.record(requireAgent(caller), {
          ...args,
          scope: args.scope ?? PRIVATE,
        });
        return { structured: { episode }, text: `recorded episode ${episode.id} in ${episode.thread}` };
      },
    },
  );
