import type { Logger } from '../../lib/log.ts';
import type { Aggregator } from '../aggregate/aggregator.ts';
import type { ExternalServerEntry, HubConfig } from '../config.ts';
import { applySettings } from './apply.ts';
import type { ConsoleSettings } from './settings.ts';

/** How often a replica reads the settings the others may have changed. */
export const FOLLOW_INTERVAL_MS = 2000;

/**
 * Keeps this replica serving what the shared settings say when another replica's console changes them: the
 * virtual servers and switches, the servers mounted and unmounted. Returns the stopper.
 */
export function followSettings(options: {
  settings: ConsoleSettings;
  aggregator: Aggregator;
  config: HubConfig;
  mount(name: string, entry: ExternalServerEntry): Promise<void>;
  log: Logger;
}): () => void {
  const { settings, aggregator, config, log } = options;
  let running = false;
  const follow = async () => {
    const before = new Set(Object.keys(settings.data.mcpServers));
    if (!(await settings.refresh())) return;
    applySettings(aggregator, config, settings);
    const after = settings.data.mcpServers;
    for (const name of before) if (!(name in after)) await aggregator.remove(name);
    for (const [name, entry] of Object.entries(after))
      if (!aggregator.mounts.has(name)) await options.mount(name, entry);
    log.info({ where: settings.where }, 'console settings changed by another replica; applied');
  };
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    follow()
      .catch((error: unknown) => log.warn({ err: error }, 'console settings could not be followed'))
      .finally(() => (running = false));
  }, FOLLOW_INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}
