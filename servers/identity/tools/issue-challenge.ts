import type { McpServer } from '@modelcontextprotocol/server';
import { defineTool } from '../../../lib/mcp/define-tool.ts';
import { IssueChallengeInput, IssueChallengeOutput } from '../../../schemas/identity/tools.ts';
import type { IdentityToolDeps } from './deps.ts';

export function registerIssueChallenge(server: McpServer, deps: IdentityToolDeps): void {
  defineTool(server, deps, {
    name: 'issue_challenge',
    title: 'Issue a proof-of-possession challenge',
    description:
      'A fresh single-use nonce with an expiry. The peer signs {type: "plexus/challenge-response", did, nonce} ' +
      'with its current key; verify_challenge checks and consumes it.',
    scope: 'write',
    input: IssueChallengeInput,
    output: IssueChallengeOutput,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    handler: async ({ did }) => {
      const c = await deps.challenges.issue(did ?? null);
      return {
        structured: { nonce: c.nonce, did: c.did, expires_at: c.expiresAt },
        text: `challenge expires at ${new Date(c.expiresAt).toISOString()}`,
      };
    },
  });
}
