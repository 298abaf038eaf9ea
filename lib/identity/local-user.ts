import { readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { Did, formatZodError } from '../../schemas/common.ts';
import { generateIdentityKeys, type IdentityKeys } from '../crypto/identity-keys.ts';
import { PlexusError } from '../errors.ts';
import { KeyVault, SealedKeys } from './key-vault.ts';

/**
 * The local user: whoever runs a stdio server (`plexus serve <name> --stdio`, `plexus hub --stdio`) from
 * their own MCP client is a person with a did:key like a hub user, created on first use in the data dir
 * (`local-user.json`, 0600; its secret keys sealed by the data dir's key vault). Tools that need an identity
 * (memory, inbox, registry) then work for them as for an agent.
 */
export const LOCAL_USER_FILE = 'local-user.json';

const LocalUserFile = z.strictObject({
  format: z.literal('plexus-local-user'),
  version: z.literal(1),
  did: Did,
  name: z.string().min(1).max(64),
  createdAt: z.int().nonnegative(),
  sealed: SealedKeys,
});

export interface LocalUser {
  did: string;
  name: string;
  keys: IdentityKeys;
  file: string;
}

/** A display name for the local user: the OS account, within a card name's limits. */
function localName(): string {
  let account = 'local';
  try {
    account = userInfo().username || account;
  } catch {
    // No passwd entry (some containers): keep the generic name.
  }
  return `${account} (local)`.replace(/\p{Cc}/gu, '').slice(0, 64);
}

function read(file: string, vault: KeyVault): LocalUser {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    throw new PlexusError('invalid', 'local_user_corrupted', `${file} is not valid JSON`);
  }
  const parsed = LocalUserFile.safeParse(json);
  if (!parsed.success)
    throw new PlexusError('invalid', 'local_user_corrupted', `${file}: ${formatZodError(parsed.error)}`);
  const { did, name, sealed } = parsed.data;
  return { did, name, keys: vault.open(did, sealed), file };
}

/** Loads the local user of `dataDir`, creating it on first use (two processes racing keep the first). */
export function localUser(dataDir: string, now: number = Date.now()): LocalUser {
  const vault = KeyVault.open(dataDir);
  const file = join(dataDir, LOCAL_USER_FILE);
  const keys = generateIdentityKeys();
  const name = localName();
  const record = {
    format: 'plexus-local-user',
    version: 1,
    did: keys.did,
    name,
    createdAt: now,
    sealed: vault.seal(keys),
  };
  try {
    writeFileSync(file, JSON.stringify(record, null, 2) + '\n', { flag: 'wx', mode: 0o600 });
    return { did: keys.did, name, keys, file };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return read(file, vault);
}
