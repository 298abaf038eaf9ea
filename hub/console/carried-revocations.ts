import { ToolError } from '../../lib/clients/errors.ts';
import type { Logger } from '../../lib/log.ts';
import type { IdentityLink } from '../identity-link.ts';
import type { ConsoleSettings } from './settings.ts';

/** Said in the identity log for a DID an older console refused at one hub, when its operator gave no reason. */
const NO_REASON = 'revoked in the console of one hub, before revocation was network-wide';

/**
 * Revokes in the identity server, in the name of the operator who refused them, the DIDs that console settings
 * of before network-wide revocation refused at this hub alone; then stores the settings without them. A DID
 * the identity server never registered cannot be revoked there and is dropped with a warning (it has no
 * token to refuse until it registers).
 */
export async function carryRevocations(
  settings: ConsoleSettings,
  identity: IdentityLink | null,
  log: Logger,
): Promise<void> {
  const carried = Object.entries(settings.carriedRevocations);
  if (carried.length === 0) return;
  if (!identity) {
    log.warn(
      { dids: carried.map(([did]) => did), where: settings.where },
      'the console settings refuse DIDs, but no identity server is mounted to revoke them; they are dropped at the next change',
    );
    return;
  }
  for (const [did, { by, reason }] of carried) {
    if (await identity.revocation(did)) continue;
    try {
      await identity.revokeAsOperator(did, reason ?? NO_REASON, { subject: by, scopes: ['admin'] });
      log.info({ did, by }, 'revoked in the identity server, as the console settings refused it at this hub');
    } catch (error) {
      if (!(error instanceof ToolError && error.code === 'did_not_found')) throw error;
      log.warn({ did }, 'the console settings refuse a DID the identity server never registered; dropped');
    }
  }
  await settings.update(() => {});
}
