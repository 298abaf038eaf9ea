import type { McpServer } from '@modelcontextprotocol/server';
import { defineTool } from '../../../lib/mcp/define-tool.ts';
import { VerifyChallengeInput, VerifyChallengeOutput } from '../../../schemas/identity/tools.ts';
import type { IdentityToolDeps } from './deps.ts';

export function registerVerifyChallenge(server: McpServer, deps: IdentityToolDeps): void {
  defineTool(server, deps, {
    name: 'verify_challenge',
    title: 'Verify a challenge response',
    description:
      'Checks a signed challenge response against the DID’s current key and consumes the nonce: a nonce ' +
      'verifies once, before its expiry.',
    scope: 'write',
    input: VerifyChallengeInput,
    output: VerifyChallengeOutput,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    handler: async ({ response }) => {
      const r = await deps.challenges.verify(response);
      return {
        structured: {
          valid: r.result === 'valid',
          did: r.did,
          result: r.result,
          ...(r.keyId ? { key_id: r.keyId } : {}),
        },
        text: r.result === 'valid' ? `${r.did} proved possession of ${r.keyId}` : `not valid: ${r.result}`,
      };
    },
  });
}
