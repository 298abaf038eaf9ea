import { parseArgs } from 'node:util';
import { describeError, exitCodeOf } from '../lib/cli/errors.ts';
import { durationFlag } from '../lib/cli/flags.ts';
import { createLogger, silentLogger } from '../lib/log.ts';
import { PlexusError } from '../lib/errors.ts';
import { loadHubConfig } from './config.ts';
import { parseOrThrow } from '../schemas/common.ts';
import { IdentitySettings } from '../schemas/identity/settings.ts';
import { CreateOperatorTokenInput } from '../schemas/identity/tools.ts';
import { openIdentityStore } from '../servers/identity/component.ts';
import { createIdentityServices } from '../servers/identity/services.ts';

const USAGE = `usage: plexus token create --scope read,write[,admin] --ttl 1h [--name NAME] [--data DIR] [--config FILE] [--json]

Mints an operator access token with the identity authority's key kept in the data dir (or the
configured database), so it verifies
wherever that authority's tokens do. --ttl takes seconds or a number with s, m, h, d or w.`;

/** `90`, `90s`, `15m`, `1h`, `30d`, `2w` → seconds. */
export function parseTtl(text: string): number {
  return durationFlag('ttl', text);
}

/** The tool's fields, as the flags that set them. */
const FLAGS = { name: '--name', scopes: '--scope', ttl_seconds: '--ttl' };

export async function run(argv: string[]): Promise<number> {
  let values;
  let positionals;
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        scope: { type: 'string' },
        ttl: { type: 'string' },
        name: { type: 'string', default: 'admin' },
        data: { type: 'string' },
        config: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    console.error(`plexus token: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.error(USAGE);
    return 0;
  }
  if (positionals[0] !== 'create' || positionals.length !== 1 || !values.scope || !values.ttl) {
    console.error(USAGE);
    return 2;
  }
  try {
    const { config } = loadHubConfig({ file: values.config });
    const dataDir = values.data ?? config.dataDir;
    const input = parseOrThrow(CreateOperatorTokenInput, {
      name: values.name,
      scopes: values.scope
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
      ttl_seconds: parseTtl(values.ttl),
    });
    const settings = parseOrThrow(
      IdentitySettings,
      config.servers['identity']?.settings ?? {},
      'identity settings',
    );
    // Only a store file that had to be made owner-only is worth a line here.
    const log = createLogger({ name: 'plexus-token', level: 'warn' });
    const store = await openIdentityStore({ dataDir, databaseUrl: config.databaseUrl, log });
    try {
      const { tokens } = await createIdentityServices({ store, settings, now: Date.now, log: silentLogger });
      const made = await tokens.createOperatorToken({
        name: input.name,
        scopes: input.scopes,
        ttlSeconds: input.ttl_seconds,
      });
      if (values.json) {
        process.stdout.write(
          JSON.stringify({ token: made.token, subject: made.subject, expires_at: made.expiresAt }) + '\n',
        );
      } else {
        process.stdout.write(made.token + '\n');
        console.error(
          `${made.subject} (${input.scopes.join(' ')}) until ${new Date(made.expiresAt).toISOString()}`,
        );
      }
    } finally {
      await store.close();
    }
    return 0;
  } catch (error) {
    if (!(error instanceof PlexusError)) throw error;
    console.error(describeError('plexus token', error, FLAGS));
    return exitCodeOf(error);
  }
}
