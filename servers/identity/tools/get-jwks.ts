import type { McpServer } from '@modelcontextprotocol/server';
import { defineTool } from '../../../lib/mcp/define-tool.ts';
import { GetJwksInput, GetJwksOutput } from '../../../schemas/identity/tools.ts';
import type { IdentityToolDeps } from './deps.ts';

export function registerGetJwks(server: McpServer, deps: IdentityToolDeps): void {
  defineTool(server, deps, {
    name: 'get_jwks',
    title: 'Get the authority’s public keys',
    description: 'The JWKS (Ed25519 OKP keys) that verify access tokens issued by this authority.',
    scope: 'public',
    input: GetJwksInput,
    output: GetJwksOutput,
    annotations: { readOnlyHint: true, openWorldHint: false },
    handler: async () => {
      const jwks = deps.tokens.jwks();
      return {
        structured: { keys: jwks.keys.map((k) => ({ ...k })) },
        text: `${jwks.keys.length} key(s): ${jwks.keys.map((k) => k.kid).join(', ')}`,
      };
    },
  });
}
