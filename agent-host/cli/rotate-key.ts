// `plexus agent rotate-key`: the agent's DID signs with a new key from now on, recorded in its identity log.
import { parseFlags } from '../../lib/cli/flags.ts';
import { printer } from '../../lib/cli/output.ts';
import { signObject } from '../../lib/crypto/signed-object.ts';
import { PlexusError } from '../../lib/errors.ts';
import {
  completeRotation,
  stageRotation,
  stagedKey,
  type LoadedIdentity,
} from '../../lib/identity/identity-file.ts';
import type { JsonValue } from '../../schemas/common.ts';
import type { HubSession } from '../hub-session.ts';
import { COMMON, loadUnlocked, loadSetup, withAgentSession } from './setup.ts';
import { takeLock } from './start.ts';

/**
 * Rotates in three steps, each leaving identity.json usable: the new key is staged in the file, the hub's
 * identity server records the rotation (signed by the current key), then the file signs with the new key
 * and keeps the old one. A run cut short after the hub recorded it finishes on the next run.
 */
export async function rotateKey(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, { ...COMMON, json: { type: 'boolean' } });
  const setup = loadSetup(values.dir, values.hub);
  const { identity, passphrase } = await loadUnlocked(setup.paths);
  // A running agent keeps signing with the key it loaded: it must not run meanwhile.
  const release = takeLock(setup.paths);
  if (!release)
    throw new PlexusError('conflict', 'agent_running', `an agent is running in ${setup.paths.dir}`, {
      hint: 'stop it (plexus agent start ends on Ctrl-C or SIGTERM), rotate, then start it again',
    });
  try {
    const file = setup.paths.identity;
    const previous = identity.keyHistory.at(-1)?.key;
    const rotated = await withAgentSession(setup, identity, async (session, registered) => {
      const { identity: hub } = session.servers;
      const { key, log_head: head } = await hub.resolveDid({ did: registered.did });
      let staged = registered;
      if (stagedKey(staged) !== key) {
        staged = stageRotation(file, registered, passphrase);
        const statement = signObject<Record<string, JsonValue>>(
          {
            type: 'plexus/key-rotation',
            did: staged.did,
            seq: head.seq + 1,
            prev: head.hash,
            key: stagedKey(staged),
            issuedAt: Date.now(),
          },
          staged.keys.signing.secretKey,
        );
        await hub.rotateKeys({ statement });
      }
      const done = completeRotation(file, staged, passphrase);
      await hub.registerIdentity({ card: done.card });
      await relistCard(session, done);
      return done;
    });
    const key = rotated.keyHistory.at(-1)?.key;
    printer(values.json).result(
      { did: rotated.did, key, previous_key: previous, card_version: rotated.card.version },
      () => `rotated: ${rotated.did} signs with ${key} (was ${previous})`,
    );
    return 0;
  } finally {
    release();
  }
}

/** The registry lists the card signed by the key that speaks for the DID now (when it lists the agent). */
async function relistCard(session: HubSession, identity: LoadedIdentity): Promise<void> {
  const { registry } = session.servers;
  const offline = { status: 'offline' as const, load: 0, active_tasks: 0 };
  try {
    await registry.heartbeat(offline);
  } catch (error) {
    if (error instanceof PlexusError && error.code === 'agent_not_registered') return;
    throw error;
  }
  await registry.registerAgent({ card: identity.card });
  // The agent is stopped: listed again, it is still offline until it starts.
  await registry.heartbeat(offline);
}
