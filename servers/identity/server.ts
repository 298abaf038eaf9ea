import { McpServer } from '@modelcontextprotocol/server';
import type { IdentityToolDeps } from './tools/deps.ts';
import { registerAttest } from './tools/attest.ts';
import { registerCreateOperatorToken } from './tools/create-operator-token.ts';
import { registerGetIdentityLog } from './tools/get-identity-log.ts';
import { registerGetJwks } from './tools/get-jwks.ts';
import { registerGetTrust } from './tools/get-trust.ts';
import { registerIssueAccessToken } from './tools/issue-access-token.ts';
import { registerIssueDelegatedToken } from './tools/issue-delegated-token.ts';
import { registerIssueChallenge } from './tools/issue-challenge.ts';
import { registerRegisterIdentity } from './tools/register-identity.ts';
import { registerReportOutcome } from './tools/report-outcome.ts';
import { registerResolveDid } from './tools/resolve-did.ts';
import { registerRevokeIdentity } from './tools/revoke-identity.ts';
import { registerRevokeIdentityAsOperator } from './tools/revoke-identity-as-operator.ts';
import { registerRotateKeys } from './tools/rotate-keys.ts';
import { registerVerifyAccessToken } from './tools/verify-access-token.ts';
import { registerVerifyChallenge } from './tools/verify-challenge.ts';
import { registerVerifySignature } from './tools/verify-signature.ts';

export type { IdentityToolDeps as IdentityDeps };

/** The identity authority's MCP server over shared domain services: one per client session. */
export function buildServer(deps: IdentityToolDeps): McpServer {
  const server = new McpServer({ name: 'plexus-identity', version: '0.1.0' });
  for (const register of [
    registerRegisterIdentity,
    registerResolveDid,
    registerRotateKeys,
    registerRevokeIdentity,
    registerRevokeIdentityAsOperator,
    registerGetIdentityLog,
    registerVerifySignature,
    registerIssueChallenge,
    registerVerifyChallenge,
    registerIssueAccessToken,
    registerIssueDelegatedToken,
    registerGetJwks,
    registerVerifyAccessToken,
    registerCreateOperatorToken,
    registerAttest,
    registerReportOutcome,
    registerGetTrust,
  ]) {
    register(server, deps);
  }
  return server;
}
