// `plexus agent init`, `whoami` and `revoke`: the agent's identity file and its standing at the hub.
import fs from 'node:fs';
import path from 'node:path';
import { parseFlags } from '../../lib/cli/flags.ts';
import { PlexusError } from '../../lib/errors.ts';
import { createIdentityFile } from '../../lib/identity/identity-file.ts';
import { createLogger } from '../../lib/log.ts';
import { privateDir } from '../../lib/store/private-files.ts';
import { signObject, verifyObjectByDid } from '../../lib/crypto/signed-object.ts';
import { AgentCard } from '../../schemas/agent-card.ts';
import type { JsonValue } from '../../schemas/common.ts';
import { agentPaths, checkedHubUrl, editConfigFile, writeDefaultConfig } from '../config.ts';
import { HubSession } from '../hub-session.ts';
import { ensureIdentityRegistered } from '../registration.ts';
import { promptHidden, readStdinLine } from '../../lib/terminal.ts';
import { COMMON, out, loadIdentity, loadSetup } from './setup.ts';

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
  // The DID and card are public: no passphrase needed. loadIdentityFile checks the rest when one is given.
  let file: { did?: unknown; card?: unknown; sealed?: unknown };
  try {
    file = JSON.parse(fs.readFileSync(paths.identity, 'utf8')) as typeof file;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      throw new PlexusError(
        'not_found',
        'identity_file_missing',
        `no identity at ${paths.identity}; run plexus agent init`,
      );
    throw new PlexusError('invalid', 'identity_file_corrupted', `${paths.identity} is not valid JSON`);
  }
  const card = AgentCard.safeParse(file.card);
  if (!card.success || card.data.did !== file.did || !verifyObjectByDid(card.data, card.data.did))
    throw new PlexusError(
      'invalid',
      'identity_file_corrupted',
      `${paths.identity}: the card is missing or not signed by its DID`,
    );
  if (values.json) {
    out(
      JSON.stringify({ did: card.data.did, encrypted: file.sealed !== undefined, card: card.data }, null, 2),
    );
    return 0;
  }
  out(`did           ${card.data.did}`);
  out(`name          ${card.data.name}`);
  out(`role          ${card.data.role}`);
  out(`capabilities  ${card.data.capabilities.join(', ') || '(none)'}`);
  out(`keyAgreement  ${card.data.keyAgreement}`);
  out(`card version  ${card.data.version}`);
  out(`encrypted     ${file.sealed !== undefined ? 'yes' : 'no'}`);
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
  const log = createLogger({
    name: 'plexus-agent-cli',
    level: setup.config.logLevel,
    file: path.join(setup.paths.logs, 'cli.log'),
  });
  const session = new HubSession({
    hubUrl: setup.hubUrl,
    identity,
    log,
    timeoutMs: setup.config.messageTimeoutMs,
  });
  try {
    await session.open();
    await ensureIdentityRegistered(session, setup.paths.identity, identity, log);
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
  } finally {
    await session.close();
    log.flush();
  }
  out(`revoked ${identity.did}; the hub refuses it from now on`);
  return 0;
}
