import { parseArgs } from 'node:util';
import type { ComponentFactory } from '../../lib/mcp/component.ts';
import { parseOrThrow } from '../../schemas/common.ts';
import { SystemSettings } from '../../schemas/system/tools.ts';
import { buildServer } from './server.ts';

export const component: ComponentFactory = async (ctx) => {
  const settings = parseOrThrow(SystemSettings, ctx.settings ?? {}, 'system settings');
  return { createServer: () => buildServer({ settings, log: ctx.log }), close: async () => {} };
};

/** `plexus serve system --allow name=/abs/path [--allow …]`: allow-lists commands from the command line. */
export function settingsFromArgs(argv: string[]): unknown {
  const { values } = parseArgs({ args: argv, options: { allow: { type: 'string', multiple: true } } });
  return {
    commands: (values.allow ?? []).map((spec) => {
      const [name, path] = spec.split('=', 2);
      return { name, path };
    }),
  };
}
