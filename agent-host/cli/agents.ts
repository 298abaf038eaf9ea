// `plexus agents`: who is registered at the hub, filtered by capability, role, name or status.
import { runGuarded } from '../../lib/cli/errors.ts';
import { intFlag, parseFlags } from '../../lib/cli/flags.ts';
import { printer, table } from '../../lib/cli/output.ts';
import { parseOrThrow } from '../../schemas/common.ts';
import { AgentStatus, FindAgentsInput, MAX_PAGE, type AgentView } from '../../schemas/registry/tools.ts';
import { CONNECT_FLAGS, withHub } from './connect.ts';

const USAGE = `usage: plexus agents [--capability C] [--role R] [--name N] [--status online|stale|offline …]
                     [--min-trust 0..1] [--limit N] [--cursor C] [--json] [--hub URL] [--dir DIR]

The agents registered at the hub, most recent first; --status may repeat (default: any status).`;

const FLAGS = {
  capability: '--capability',
  role: '--role',
  name: '--name',
  status: '--status',
  min_trust: '--min-trust',
  limit: '--limit',
  cursor: '--cursor',
};

/** What `--json` prints of an agent: the registry's view without the signed card (whoami shows that). */
function summary(agent: AgentView) {
  const { card, ...rest } = agent;
  return { ...rest, endpoint: card.endpoints?.mcp ?? null };
}

export function render(agents: readonly AgentView[]): string {
  return table(
    agents,
    [
      { header: 'name', value: (a) => a.name },
      { header: 'status', value: (a) => a.status },
      { header: 'role', value: (a) => a.role },
      { header: 'capabilities', value: (a) => a.capabilities.join(',') },
      { header: 'load', value: (a) => a.load.toFixed(2) },
      { header: 'trust', value: (a) => (a.trust === null ? null : a.trust.toFixed(2)) },
      { header: 'did', value: (a) => a.did },
    ],
    '(no agents)',
  );
}

export function run(argv: string[]): Promise<number> {
  return runGuarded(
    'plexus agents',
    async () => {
      const { values } = parseFlags(argv, {
        ...CONNECT_FLAGS,
        capability: { type: 'string' },
        role: { type: 'string' },
        name: { type: 'string' },
        status: { type: 'string', multiple: true },
        'min-trust': { type: 'string' },
        limit: { type: 'string' },
        cursor: { type: 'string' },
      });
      if (values.help) {
        process.stdout.write(`${USAGE}\n`);
        return 0;
      }
      const minTrust = values['min-trust'];
      const input = parseOrThrow(FindAgentsInput, {
        capability: values.capability,
        role: values.role,
        name: values.name,
        status: values.status?.map((s) => parseOrThrow(AgentStatus, s, 'status')),
        min_trust:
          minTrust === undefined ? undefined : Number.isNaN(Number(minTrust)) ? minTrust : Number(minTrust),
        cursor: values.cursor,
        limit: intFlag('limit', values.limit, { min: 1, max: MAX_PAGE }),
      });
      const found = await withHub(values, ({ session }) => session.servers.registry.findAgents(input));
      printer(values.json).result({ agents: found.agents.map(summary), cursor: found.cursor }, () =>
        found.cursor ? `${render(found.agents)}\n(more: --cursor ${found.cursor})` : render(found.agents),
      );
      return 0;
    },
    FLAGS,
  );
}
