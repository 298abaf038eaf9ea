import type { Aggregator } from '../aggregate/aggregator.ts';
import type { HubConfig } from '../config.ts';
import type { ConsoleSettings } from './settings.ts';

/** The virtual servers of plexus.json and of the console, by name (plexus.json's cannot be shadowed). */
export function virtualSets(config: HubConfig, settings: ConsoleSettings): Map<string, ReadonlySet<string>> {
  const sets = new Map<string, ReadonlySet<string>>();
  for (const [name, entry] of Object.entries(settings.data.virtualServers))
    sets.set(name, new Set(entry.tools));
  for (const [name, entry] of Object.entries(config.virtualServers)) sets.set(name, new Set(entry.tools));
  return sets;
}

/** Serves what the settings say: the virtual servers, and what is switched off. */
export function applySettings(aggregator: Aggregator, config: HubConfig, settings: ConsoleSettings): void {
  aggregator.setVirtualServers(virtualSets(config, settings));
  aggregator.setSwitches({
    servers: new Set(settings.data.disabledServers),
    tools: new Set(settings.data.disabledTools),
  });
}
