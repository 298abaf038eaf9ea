import type { McpServer } from '@modelcontextprotocol/server';
import { defineTool } from '../../../lib/mcp/define-tool.ts';
import { GetIdentityLogInput, GetIdentityLogOutput } from '../../../schemas/identity/tools.ts';
import type { IdentityToolDeps } from './deps.ts';
import { logEntryView } from './views.ts';

export function registerGetIdentityLog(server: McpServer, deps: IdentityToolDeps): void {
  defineTool(server, deps, {
    name: 'get_identity_log',
    title: 'Get an identity’s log',
    description:
      'The hash-chained log of a DID (registration, card updates, rotations, revocation) with every signed ' +
      'statement, so anyone can re-verify it, plus the server’s own verification of the chain.',
    scope: 'read',
    input: GetIdentityLogInput,
    output: GetIdentityLogOutput,
    annotations: { readOnlyHint: true, openWorldHint: false },
    handler: async ({ did }) => {
      const { entries, verification } = await deps.identities.log(did);
      const broken = verification.valid
        ? {}
        : { broken_at: verification.brokenAt, problem: verification.problem };
      return {
        structured: { did, entries: entries.map(logEntryView), verified: verification.valid, ...broken },
        text: verification.valid
          ? `${entries.length} entries, chain verified`
          : `chain BROKEN at entry ${verification.brokenAt}: ${verification.problem}`,
      };
    },
  });
}
