import { parseArgs } from 'node:util';
import type { ComponentFactory } from '../../lib/mcp/component.ts';
import { parseOrThrow } from '../../schemas/common.ts';
import { WebSettings } from '../../schemas/web/tools.ts';
import { buildServer } from './server.ts';

export const component: ComponentFactory = async (ctx) => {
  const settings = parseOrThrow(WebSettings, ctx.settings ?? {}, 'web settings');
  return { createServer: () => buildServer({ settings, log: ctx.log }), close: async () => {} };
};

const BRAVE_URL = 'https://api.search.brave.com/res/v1/web/search';

/**
 * `plexus serve web [--searxng URL | --brave [--brave-url URL] | --brave-key KEY] [--allow-host H …]`.
 * With `--brave`, the API key comes from PLEXUS_BRAVE_API_KEY (see webSettingsWithEnv), out of `ps`.
 */
export function settingsFromArgs(argv: string[]): unknown {
  const { values } = parseArgs({
    args: argv,
    options: {
      searxng: { type: 'string' },
      brave: { type: 'boolean' },
      'brave-url': { type: 'string' },
      'brave-key': { type: 'string' },
      'allow-host': { type: 'string', multiple: true },
    },
  });
  const search = values.searxng
    ? { provider: 'searxng', url: values.searxng }
    : values.brave || values['brave-key']
      ? {
          provider: 'brave',
          url: values['brave-url'] ?? BRAVE_URL,
          ...(values['brave-key'] ? { api_key: values['brave-key'] } : {}),
        }
      : undefined;
  return { fetch: { allow_hosts: values['allow-host'] ?? [] }, ...(search ? { search } : {}) };
}

/** PLEXUS_BRAVE_API_KEY as the Brave key when the settings name Brave without one. */
export function webSettingsWithEnv(
  settings: unknown,
  env: Readonly<Record<string, string | undefined>>,
): unknown {
  const section = (settings ?? {}) as { search?: { provider?: string; api_key?: string } };
  const key = env['PLEXUS_BRAVE_API_KEY'];
  if (section.search?.provider !== 'brave' || section.search.api_key || !key) return settings;
  return { ...section, search: { ...section.search, api_key: key } };
}
