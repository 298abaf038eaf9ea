// `plexus agent follow` and `unfollow`: the topics in agent.json; a running agent takes a change at its next poll.
import fs from 'node:fs';
import { parseFlags } from '../../lib/cli/flags.ts';
import { PlexusError } from '../../lib/errors.ts';
import { TopicName } from '../../schemas/common.ts';
import { agentPaths, editConfigFile, loadAgentConfig } from '../config.ts';
import { COMMON, out } from './setup.ts';

function report(topics: readonly string[]): number {
  out(topics.length ? `following ${topics.join(', ')}` : 'following no topics');
  return 0;
}

/** The agent dir and the topics named on the command line, each checked. */
function named(argv: string[]): { dir: string; topics: string[] } {
  const { values, positionals } = parseFlags(argv, COMMON, true);
  const paths = agentPaths(values.dir);
  if (!fs.existsSync(paths.identity))
    throw new PlexusError(
      'not_found',
      'identity_file_missing',
      `no agent in ${paths.dir}; run plexus agent init`,
    );
  for (const topic of positionals) {
    const checked = TopicName.safeParse(topic);
    if (!checked.success)
      throw new PlexusError(
        'invalid',
        'config_invalid',
        `topic '${topic}': ${checked.error.issues[0]?.message}`,
        {
          field: 'topic',
        },
      );
  }
  return { dir: values.dir, topics: positionals };
}

function edit(dir: string, change: (topics: string[]) => string[]): number {
  let topics: string[] = [];
  editConfigFile(dir, (raw) => {
    topics = change(Array.isArray(raw['topics']) ? (raw['topics'] as string[]) : []);
    return { ...raw, topics };
  });
  return report(topics);
}

export function follow(argv: string[]): number {
  const { dir, topics } = named(argv);
  if (topics.length === 0) return report(loadAgentConfig(dir).topics);
  return edit(dir, (before) => [...new Set([...before, ...topics])]);
}

export function unfollow(argv: string[]): number {
  const { dir, topics } = named(argv);
  if (topics.length === 0)
    throw new PlexusError('invalid', 'config_invalid', 'name the topics to stop following', {
      field: 'topic',
    });
  return edit(dir, (before) => before.filter((topic) => !topics.includes(topic)));
}
