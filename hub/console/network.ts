import type { z } from 'zod';
import { leasedCaller, type ToolCaller } from '../../lib/clients/call-tool.ts';
import { identityClient } from '../../lib/clients/identity.ts';
import { registryClient } from '../../lib/clients/registry.ts';
import { routerClient } from '../../lib/clients/router.ts';
import { sandboxClient } from '../../lib/clients/sandbox.ts';
import { FetchEventsOutput } from '../../schemas/router/tools.ts';
import type { Aggregator } from '../aggregate/aggregator.ts';

/** The console's calls to the hub's own servers, as the hub (through their typed clients); null when not mounted. */
export class Network {
  readonly #aggregator: Aggregator;

  constructor(aggregator: Aggregator) {
    this.#aggregator = aggregator;
  }

  #caller(name: string): ToolCaller | null {
    const mount = this.#aggregator.mounts.get(name);
    return mount ? leasedCaller((use) => mount.upstream.callInternal(use)) : null;
  }

  get registry() {
    const caller = this.#caller('registry');
    return caller ? registryClient(caller) : null;
  }

  get router() {
    const caller = this.#caller('router');
    return caller ? routerClient(caller) : null;
  }

  /** The sandbox, when the hub mounts it (`servers.sandbox`): its pool and per-tool stats. */
  get sandbox() {
    const caller = this.#caller('sandbox');
    return caller ? sandboxClient(caller) : null;
  }

  get identity() {
    const caller = this.#caller('identity');
    return caller ? identityClient(caller) : null;
  }

  /** The newest system events and the cursor to follow on from (the router's `plexus://events`). */
  async recentEvents(): Promise<z.infer<typeof FetchEventsOutput> | null> {
    const mount = this.#aggregator.mounts.get('router');
    if (!mount) return null;
    const read = await mount.upstream.callInternal((client) =>
      client.readResource({ uri: 'plexus://events' }),
    );
    const first = read.contents[0];
    return first && 'text' in first ? FetchEventsOutput.parse(JSON.parse(first.text)) : null;
  }
}
