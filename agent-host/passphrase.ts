import { PlexusError } from '../lib/errors.ts';
import { promptHidden } from '../lib/terminal.ts';

/** The passphrase of an encrypted identity: PLEXUS_PASSPHRASE, else a prompt on the terminal. */
export async function passphraseForLoad(path: string): Promise<string> {
  const fromEnv = process.env['PLEXUS_PASSPHRASE'];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const typed = await promptHidden(`Passphrase for ${path}: `);
  if (typed === null)
    throw new PlexusError(
      'unauthorized',
      'passphrase_required',
      `${path} is encrypted; a passphrase is needed`,
      {
        hint: 'set PLEXUS_PASSPHRASE or run in a terminal',
      },
    );
  return typed;
}
