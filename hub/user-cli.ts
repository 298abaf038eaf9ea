import { parseArgs } from 'node:util';
import { PlexusError } from '../lib/errors.ts';
import { KeyVault } from '../lib/identity/key-vault.ts';
import { promptHidden, readStdinLine } from '../lib/terminal.ts';
import { loadHubConfig, type HubConfig } from './config.ts';
import { checkPassword } from './oauth/passwords.ts';
import { openOAuthStore } from './oauth/store.ts';
import { Users } from './oauth/users.ts';

const USAGE = `usage: plexus user add NAME [--scopes read,write] [--password-stdin]
       plexus user list [--json]
       plexus user remove NAME
       plexus user passwd NAME [--password-stdin]
  every verb also takes [--config FILE] [--data DIR] (as plexus hub does)

Hub users are people who sign in to the hub from an MCP client (Claude Desktop, the Inspector, any OAuth
client). Each gets a did:key identity the hub keeps (secret key sealed under identity-vault.key in the data
dir); their access tokens carry that DID. --scopes is the most their tokens may carry (read, write, admin;
default read,write). Passwords are asked on the terminal, or read from stdin with --password-stdin.
Removing a user revokes every client they approved and ends their sessions.`;

class UsageError extends Error {}

async function newPassword(fromStdin: boolean): Promise<string> {
  if (fromStdin) {
    const password = await readStdinLine();
    checkPassword(password, '--password-stdin');
    return password;
  }
  const typed = await promptHidden('Password: ');
  if (typed === null) throw new UsageError('no terminal to ask for the password: use --password-stdin');
  checkPassword(typed);
  if ((await promptHidden('Password again: ')) !== typed) throw new UsageError('the passwords differ');
  return typed;
}

function configFor(values: { config?: string | undefined; data?: string | undefined }): HubConfig {
  const env: Record<string, string | undefined> = { ...process.env };
  if (values.data) env['PLEXUS_DATA'] = values.data;
  return loadHubConfig({ file: values.config, env }).config;
}

async function runVerb(
  users: Users,
  verb: string,
  name: string | undefined,
  values: Values,
): Promise<string> {
  if (verb === 'list') {
    const all = await users.list();
    if (values.json) {
      return JSON.stringify(
        all.map((u) => ({
          name: u.name,
          did: u.did,
          scopes: u.scopes,
          created_at: u.createdAt,
          registered: u.registeredAt !== null,
        })),
        null,
        2,
      );
    }
    if (all.length === 0) return 'no users (add one: plexus user add NAME)';
    return all
      .map(
        (u) =>
          `${u.name.padEnd(20)} ${u.scopes.join(',').padEnd(16)} ${u.did}` +
          (u.registeredAt === null ? '  (registered with identity at first sign-in)' : ''),
      )
      .join('\n');
  }
  if (!name) throw new UsageError(`plexus user ${verb} needs a NAME`);
  switch (verb) {
    case 'add': {
      const scopes = values.scopes?.split(',').map((s) => s.trim()) ?? undefined;
      const user = await users.add(name, await newPassword(values['password-stdin'] ?? false), scopes);
      return `added ${user.name} (${user.scopes.join(' ')}); identity ${user.did}`;
    }
    case 'remove': {
      const user = await users.remove(name);
      return `removed ${user.name}; the clients they approved are revoked (${user.did} stays known to identity)`;
    }
    case 'passwd':
      await users.setPassword(name, await newPassword(values['password-stdin'] ?? false));
      return `password of ${name} changed; their browser sessions are ended`;
    default:
      throw new UsageError(`unknown verb '${verb}'`);
  }
}

interface Values {
  config?: string | undefined;
  data?: string | undefined;
  scopes?: string | undefined;
  'password-stdin'?: boolean | undefined;
  json?: boolean | undefined;
}

export async function run(argv: string[]): Promise<number> {
  let values: Values & { help?: boolean | undefined };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: 'string' },
        data: { type: 'string' },
        scopes: { type: 'string' },
        'password-stdin': { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    console.error(`plexus user: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const [verb, name, ...extra] = positionals;
  if (values.help || !verb) {
    console.error(USAGE);
    return values.help ? 0 : 2;
  }
  if (extra.length > 0) {
    console.error(`plexus user: unexpected arguments: ${extra.join(' ')}\n\n${USAGE}`);
    return 2;
  }
  let config: HubConfig;
  try {
    config = configFor(values);
  } catch (error) {
    console.error(`plexus user: ${error instanceof Error ? error.message : String(error)}`);
    return 2;
  }
  const store = await openOAuthStore(config);
  try {
    const users = new Users({ store, vault: KeyVault.open(config.dataDir) });
    process.stdout.write(`${await runVerb(users, verb, name, values)}\n`);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`plexus user: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    if (error instanceof PlexusError) {
      console.error(`plexus user: ${error.message}`);
      return error.kind === 'invalid' ? 2 : 1;
    }
    throw error;
  } finally {
    await store.close();
  }
}
