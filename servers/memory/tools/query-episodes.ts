import { defineTool } from '../../../lib/mcp/define-tool.ts';
import { QueryEpisodesInput, QueryEpisodesOutput } from '../../../schemas/memory/episodes.ts';
import { READ, type RegisterTool } from './deps.ts';

export const queryEpisodes: RegisterTool = (server, { memory, log }) =>
  void defineTool(
    server,
    { log },
    {
      name: 'query_episodes',
      title: 'Query Episodes',
      description: 'Page through episodes you can see, by thread, agent, time range and text.',
      scope: 'read',
      input: QueryEpisodesInput,
      output: QueryEpisodesOutput,
      annotations: READ,
      handler: async (args, { caller }) => {
        const page = await memory.episodes.query(caller.subject, args);
        return {
          structured: { episodes: page.items, cursor: page.cursor, more: page.more },
          text: `${page.items.length} episodes${page.more ? ' (more)' : ''}`,
        };
      },
    },
  );
