import { CLIENT_ASSERTION_TYPE, createClientAssertion } from '../lib/auth/client-assertion.ts';
import { PlexusError } from '../lib/errors.ts';
import type { LoadedIdentity } from '../lib/identity/identity-file.ts';
import { BUSY_STATUSES, HubBusyError, type HubPacing } from './hub-pacing.ts';
import { identityRevoked } from './revoked.ts';

export interface IssuedToken {
  access_token: string;
  expires_in: number;
}

/** Why the hub could not be used, as a PlexusError with a stable code. */
export function unreachable(url: string, error: unknown): PlexusError {
  const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
  return new PlexusError('unavailable', 'hub_unreachable', `cannot reach the hub at ${url} (${cause})`, {
    hint: 'is the hub running? set --hub, PLEXUS_HUB or hubUrl in agent.json',
  });
}

export interface TokenRequest {
  hubUrl: string;
  identity: LoadedIdentity;
  pacing: HubPacing;
  timeoutMs: number;
  now?: (() => number) | undefined;
}

/**
 * An access token from `<hub>/oauth/token` by client credentials, the client assertion (private_key_jwt)
 * signed by the agent's DID key. Throws hub_unreachable, hub_busy, identity_revoked or hub_refused.
 */
export async function requestHubToken(request: TokenRequest): Promise<IssuedToken> {
  const { hubUrl, identity, pacing } = request;
  const endpoint = `${hubUrl}/oauth/token`;
  const assertion = await createClientAssertion({
    did: identity.did,
    secretKey: identity.keys.signing.secretKey,
    audience: endpoint,
    ...(request.now ? { now: request.now() } : {}),
  });
  let response: Response;
  try {
    response = await pacing.fetch(endpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: identity.did,
        client_assertion_type: CLIENT_ASSERTION_TYPE,
        client_assertion: assertion,
      }),
      signal: AbortSignal.timeout(request.timeoutMs),
    });
  } catch (error) {
    throw unreachable(hubUrl, error);
  }
  const body = (await response.json().catch(() => ({}))) as Partial<IssuedToken> & {
    error?: string;
    error_description?: string;
  };
  if (BUSY_STATUSES.has(response.status)) throw new HubBusyError(response.status, pacing.pausedMs);
  if (!response.ok || typeof body.access_token !== 'string') {
    const description = body.error_description ?? `HTTP ${response.status}`;
    // The identity server's refusal names the DID and says who revoked it and why.
    if (/revoked/i.test(description))
      throw identityRevoked(
        description.includes(identity.did) ? description : `the hub refuses ${identity.did}: ${description}`,
      );
    const kind = response.status >= 500 ? 'unavailable' : 'unauthorized';
    throw new PlexusError(kind, 'hub_refused', `the hub refused a token: ${body.error ?? ''} ${description}`);
  }
  return { access_token: body.access_token, expires_in: body.expires_in ?? 300 };
}
