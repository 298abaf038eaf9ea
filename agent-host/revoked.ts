import { PlexusError } from '../lib/errors.ts';

/**
 * This agent's identity is revoked, however the agent learnt it (the token endpoint, a 401, its registration,
 * the event stream): final, so the agent stops, saying who revoked it and why as the network told it.
 */
export function identityRevoked(message: string): PlexusError {
  return new PlexusError('forbidden', 'identity_revoked', message, {
    hint: 'a revoked identity cannot come back; create a new one in another directory',
  });
}
