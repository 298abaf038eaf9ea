import type { McpServer } from '@modelcontextprotocol/server';
import { fromBase64Url, utf8 } from '../../../lib/crypto/bytes.ts';
import { canonicalize } from '../../../lib/crypto/jcs.ts';
import { invalid } from '../../../lib/errors.ts';
import { defineTool } from '../../../lib/mcp/define-tool.ts';
import { VerifySignatureInput, VerifySignatureOutput } from '../../../schemas/identity/tools.ts';
import type { IdentityToolDeps } from './deps.ts';

function payloadBytes(
  payload: string | Record<string, unknown>,
  encoding: 'jcs' | 'utf8' | 'base64url',
): Uint8Array {
  if (encoding === 'jcs') {
    if (typeof payload === 'string') throw invalid('payload', 'must be an object when encoding is jcs');
    return utf8.encode(canonicalize(payload));
  }
  if (typeof payload !== 'string') throw invalid('payload', `must be a string when encoding is ${encoding}`);
  if (encoding === 'utf8') return utf8.encode(payload);
  try {
    return fromBase64Url(payload);
  } catch {
    throw invalid('payload', 'is not base64url');
  }
}

export function registerVerifySignature(server: McpServer, deps: IdentityToolDeps): void {
  defineTool(server, deps, {
    name: 'verify_signature',
    title: 'Verify a signature by a DID',
    description:
      'Checks an Ed25519 signature against the DID’s current key (after rotations, the rotated key). ' +
      'Revoked DIDs never verify.',
    scope: 'read',
    input: VerifySignatureInput,
    output: VerifySignatureOutput,
    annotations: { readOnlyHint: true, openWorldHint: false },
    handler: async ({ did, payload, encoding, signature }) => {
      const v = await deps.identities.verify(did, payloadBytes(payload, encoding), signature);
      return {
        structured: { valid: v.result === 'valid', did, result: v.result, key: v.key, key_id: v.keyId },
        text: v.result === 'valid' ? `valid signature by ${v.keyId}` : `not valid: ${v.result}`,
      };
    },
  });
}
