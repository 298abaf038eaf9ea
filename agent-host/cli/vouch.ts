// `plexus agent vouch <name|did>`: a signed attestation that this agent trusts another.
import { randomUUID } from 'node:crypto';
import { intFlag, parseFlags, usageError } from '../../lib/cli/flags.ts';
import { fields, printer } from '../../lib/cli/output.ts';
import { signObject } from '../../lib/crypto/signed-object.ts';
import type { JsonValue } from '../../schemas/common.ts';
import { resolveDidOf } from '../recipient.ts';
import { CONNECT_FLAGS, withHub } from './connect.ts';

/**
 * Signs `plexus/attestation` {positive, context other} by the agent in --dir about the named agent and
 * records it with the identity server, then shows the peer's trust as this agent now sees it. `--against`
 * records a bad experience instead. Each vouch carries its own reference, so vouching again adds evidence.
 */
export async function vouch(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(
    argv,
    {
      ...CONNECT_FLAGS,
      reason: { type: 'string' },
      weight: { type: 'string' },
      against: { type: 'boolean' },
    },
    true,
  );
  if (positionals.length !== 1)
    throw usageError(
      positionals.length === 0 ? 'whom to vouch for is missing: <name|did>' : 'vouch for one agent at a time',
    );
  const weightPercent = intFlag('weight', values.weight, { min: 1, max: 100 }) ?? 100;
  const result = await withHub(
    values,
    async ({ session, caller }) => {
      if (caller.kind !== 'agent') throw usageError('vouching is done by an agent');
      const subject = await resolveDidOf(session.servers.registry, positionals[0] as string);
      if (subject === caller.identity.did) throw usageError('an agent cannot vouch for itself');
      const attestation = signObject<Record<string, JsonValue>>(
        {
          type: 'plexus/attestation',
          attester: caller.identity.did,
          subject,
          positive: !values.against,
          weight: weightPercent / 100,
          context: 'other',
          reference: `vouch:${randomUUID()}`,
          ...(values.reason ? { reason: values.reason } : {}),
          issuedAt: Date.now(),
        },
        caller.identity.keys.signing.secretKey,
      );
      await session.servers.identity.attest({ attestation });
      const trust = await session.servers.identity.getTrust({
        did: subject,
        perspective: caller.identity.did,
      });
      return { attester: caller.identity.did, subject, positive: !values.against, trust };
    },
    'agent',
  );
  printer(values.json).result(result, () =>
    fields([
      [result.positive ? 'vouched for' : 'reported', result.subject],
      [
        'trust',
        `${result.trust.score.toFixed(3)} as this agent sees it (${result.trust.attestations} attestations)`,
      ],
    ]),
  );
  return 0;
}
