import { parseArgs } from 'node:util';
import type { ComponentFactory } from '../../lib/mcp/component.ts';
import { parseOrThrow } from '../../schemas/common.ts';
import { WebSettings } from '../../schemas/web/tools.ts';
import { buildServer } from './server.ts';

export const component: ComponentFactory = async (ctx) => {
  const settings = parseOrThrow(WebSettings, ctx.settings ?? {}, 'web settings');
  return { createServer: () => buildServer({ settings, log: ctx.log }), close: async () => {} };
};

/** `plexus serve web [--searxng URL | --brave-key KEY] [--allow-host H …]`. */
export function settingsFromArgs(argv: string[]): unknown {
  const { values } = parseArgs({
    args: argv,
    options: {
      searxng: { type: 'string' },
      'brave-key': { type: 'string' },
      'allow-host': { type: 'string', multiple: true },
    },
  });
  const search = values.searxng
    ? { provider: 'searxng', url: values.searxng }
    : values['brave-key']
      ? {
          provider: 'brave',
          url: 'https://api.search.brave.com/res/v1/web/search',
          api_key: values['brave-key'],
        }
      : undefined;
  return { fetch: { allow_hosts: values['allow-host'] ?? [] }, ...(search ? { search } : {}) };
}
