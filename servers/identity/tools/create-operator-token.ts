import type { McpServer } from '@modelcontextprotocol/server';
import { defineTool } from '../../../lib/mcp/define-tool.ts';
import { CreateOperatorTokenInput, CreateOperatorTokenOutput } from '../../../schemas/identity/tools.ts';
import type { IdentityToolDeps } from './deps.ts';

export function registerCreateOperatorToken(server: McpServer, deps: IdentityToolDeps): void {
  defineTool(server, deps, {
    name: 'create_operator_token',
    title: 'Create an operator token',
    description:
      'A bearer token for a human operator (subject operator:<name>) with the given scopes and lifetime.',
    scope: 'admin',
    input: CreateOperatorTokenInput,
    output: CreateOperatorTokenOutput,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    handler: async ({ name, scopes, ttl_seconds }) => {
      const t = await deps.tokens.createOperatorToken({ name, scopes, ttlSeconds: ttl_seconds });
      return {
        structured: { token: t.token, subject: t.subject, expires_at: t.expiresAt },
        text: `token for ${t.subject} (${scopes.join(' ')}) until ${new Date(t.expiresAt).toISOString()}`,
      };
    },
  });
}
