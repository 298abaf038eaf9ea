import type { McpServer } from '@modelcontextprotocol/server';
import { defineTool } from '../../../lib/mcp/define-tool.ts';
import { RotateKeysInput, RotateKeysOutput } from '../../../schemas/identity/tools.ts';
import { didDocument } from '../domain/did-document.ts';
import { keyId } from '../../../lib/identity/identity-log.ts';
import type { IdentityToolDeps } from './deps.ts';
import { logHead } from './views.ts';

export function registerRotateKeys(server: McpServer, deps: IdentityToolDeps): void {
  defineTool(server, deps, {
    name: 'rotate_keys',
    title: 'Rotate an identity’s keys',
    description:
      'Appends a key rotation, signed by the current key and pinned to the log head (seq, prev), to the DID’s ' +
      'hash-chained log. If the previous rotation committed to a next key, the new key must match it.',
    scope: 'write',
    input: RotateKeysInput,
    output: RotateKeysOutput,
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
    handler: async ({ statement }) => {
      const state = await deps.identities.rotate(statement);
      return {
        structured: {
          did: state.did,
          key: state.key,
          key_id: keyId(state.did, state.key),
          next_key_committed: state.nextKeyCommitment !== null,
          log_head: logHead(state),
          document: didDocument(state),
        },
        text: `${state.did} now signs with ${state.key}`,
      };
    },
  });
}
