// `plexus agent init`, `whoami` and `revoke`: the agent's identity file and its standing at the hub.
import fs from 'node:fs';
import path from 'node:path';
import { parseFlags } from '../../lib/cli/flags.ts';
import { PlexusError } from '../../lib/errors.ts';
import { createIdentityFile, readPublicIdentity } from '../../lib/identity/identity-file.ts';
import { privateDir } from '../../lib/store/private-files.ts';
import { signObject } from '../../lib/crypto/signed-object.ts';
import type { JsonValue } from '../../schemas/common.ts';
import { agentPaths, checkedHubUrl, editConfigFile, writeDefaultConfig } from '../config.ts';
import { promptHidden, readStdinLine } from '../../lib/terminal.ts';
import { COMMON, out, loadIdentity, loadSetup, withAgentSession } from './setup.ts';

export async function init(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, {
    ...COMMON,
    name: { type: 'string' },
    role: { type: 'string', default: 'assistant' },
    capability: { type: 'string', multiple: true },
    'passphrase-stdin': { type: 'boolean' },
  });
  const paths = agentPaths(values.dir);
  const hubUrl = values.hub === undefined ? undefined : checkedHubUrl(values.hub);
  if (fs.existsSync(paths.identity)) {
    throw new PlexusError(
      'conflict',
      'identity_file_exists',
      `${paths.identity} already exists; refusing to overwrite an identity`,
    );
  }
  let passphrase: string | undefined;
  if (values['passphrase-stdin']) passphrase = await readStdinLine();
  else if (process.env['PLEXUS_PASSPHRASE']) passphrase = process.env['PLEXUS_PASSPHRASE'];
  else {
    const typed = await promptHidden('Passphrase to encrypt the identity (empty: none): ');
    if (typed) {
      const again = await promptHidden('Again: ');
      if (again !== typed) throw new PlexusError('invalid', 'passphrase_mismatch', 'the passphrases differ');
      passphrase = typed;
    }
  }
  if (passphrase === '')
    throw new PlexusError('invalid', 'invalid_input', 'passphrase: must not be empty', {
      field: 'passphrase',
    });
  const name = values.name ?? path.basename(paths.dir);
  const identity = createIdentityFile(
    paths.identity,
    { name, role: values.role, capabilities: values.capability ?? [] },
    passphrase !== undefined ? { passphrase } : {},
  );
  // Recorded, so that later verbs reach the same hub without --hub (an existing agent.json keeps the rest).
  if (values.hub && fs.existsSync(paths.config)) editConfigFile(values.dir, (raw) => ({ ...raw, hubUrl }));
  else writeDefaultConfig(values.dir, hubUrl ? { hubUrl } : {});
  privateDir(paths.logs);
  out(`created ${paths.identity}${identity.encrypted ? ' (encrypted)' : ' (NOT encrypted: no passphrase)'}`);
  out(`did   ${identity.did}`);
  out(`name  ${name}   role ${values.role}`);
  return 0;
}

export function whoami(argv: string[]): number {
  const { values } = parseFlags(argv, { ...COMMON, json: { type: 'boolean' } });
  const paths = agentPaths(values.dir);
  // The DID, card and public keys need no passphrase; loadIdentityFile checks the rest when one is given.
  if (!fs.existsSync(paths.identity))
    throw new PlexusError(
      'not_found',
      'identity_file_missing',
      `no identity at ${paths.identity}; run plexus agent init`,
    );
  const { did, card, encrypted, keyHistory } = readPublicIdentity(paths.identity);
  const key = keyHistory.at(-1)?.key;
  if (values.json) {
    out(JSON.stringify({ did, encrypted, key, keys: keyHistory, card }, null, 2));
    return 0;
  }
  out(`did           ${did}`);
  out(`name          ${card.name}`);
  out(`role          ${card.role}`);
  out(`capabilities  ${card.capabilities.join(', ') || '(none)'}`);
  out(`signing key   ${key}${keyHistory.length > 1 ? ` (rotated ${keyHistory.length - 1}×)` : ''}`);
  out(`keyAgreement  ${card.keyAgreement}`);
  out(`card version  ${card.version}`);
  out(`encrypted     ${encrypted ? 'yes' : 'no'}`);
  out(`directory     ${paths.dir}`);
  return 0;
}

export async function revoke(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, { ...COMMON, reason: { type: 'string' }, yes: { type: 'boolean' } });
  if (!values.yes)
    throw new PlexusError('invalid', 'config_invalid', 'revoking is final: confirm with --yes', {
      field: 'yes',
    });
  const setup = loadSetup(values.dir, values.hub);
  const identity = await loadIdentity(setup.paths);
  await withAgentSession(setup, identity, async (session) => {
    const { log_head: head } = await session.servers.identity.resolveDid({ did: identity.did });
    const statement = signObject<Record<string, JsonValue>>(
      {
        type: 'plexus/revocation',
        did: identity.did,
        seq: head.seq + 1,
        prev: head.hash,
        ...(values.reason ? { reason: values.reason } : {}),
        issuedAt: Date.now(),
      },
      identity.keys.signing.secretKey,
    );
    await session.servers.identity.revokeIdentity({ statement });
  });
  out(`revoked ${identity.did}; the hub refuses it from now on`);
  return 0;
}
