import type { McpServer } from '@modelcontextprotocol/server';
import { defineTool } from '../../../lib/mcp/define-tool.ts';
import { AttestInput, AttestOutput } from '../../../schemas/identity/tools.ts';
import type { IdentityToolDeps } from './deps.ts';

export function registerAttest(server: McpServer, deps: IdentityToolDeps): void {
  defineTool(server, deps, {
    name: 'attest',
    title: 'Attest another identity',
    description:
      'Records a signed +/− rating of one DID by another about one task or message. Self-attestations, ' +
      'duplicates (same attester, subject and reference) and unsigned or badly signed ones are refused.',
    scope: 'write',
    input: AttestInput,
    output: AttestOutput,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    handler: async ({ attestation }) => {
      const e = await deps.trust.attest(attestation);
      return {
        structured: { recorded: true as const, attester: e.attester, subject: e.subject },
        text: `${e.positive ? '+' : '−'}${e.weight} for ${e.subject} from ${e.attester}`,
      };
    },
  });
}
