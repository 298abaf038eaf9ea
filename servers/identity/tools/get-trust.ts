import type { McpServer } from '@modelcontextprotocol/server';
import { defineTool } from '../../../lib/mcp/define-tool.ts';
import { GetTrustInput, GetTrustOutput } from '../../../schemas/identity/tools.ts';
import { AUTHORITY } from '../domain/trust-model.ts';
import type { IdentityToolDeps } from './deps.ts';

export function registerGetTrust(server: McpServer, deps: IdentityToolDeps): void {
  defineTool(server, deps, {
    name: 'get_trust',
    title: 'Get a trust score',
    description:
      'Beta-reputation score in [0, 1] of a DID from a viewer’s perspective (default: the authority), with ' +
      'time-decayed evidence; attestations count by the viewer’s first-hand trust in each attester.',
    scope: 'read',
    input: GetTrustInput,
    output: GetTrustOutput,
    annotations: { readOnlyHint: true, openWorldHint: false },
    handler: async ({ did, perspective }) => {
      const viewer = perspective === 'authority' ? AUTHORITY : perspective;
      const t = await deps.trust.trust(did, viewer);
      return {
        structured: {
          did,
          perspective,
          ...t,
          half_life_seconds: deps.trust.params.halfLifeMs / 1000,
        },
        text: `trust of ${did} from ${perspective}: ${t.score.toFixed(3)}${t.revoked ? ' (revoked)' : ''}`,
      };
    },
  });
}
