import { PlexusError } from '../../../lib/errors.ts';
import { AgentCard } from '../../../schemas/agent-card.ts';
import { parseOrThrow } from '../../../schemas/common.ts';
import { verifySignedBy } from './signatures.ts';
import type { EventSink, IdentityDirectory } from './ports.ts';
import type { RegistrySettings } from './settings.ts';
import type { AgentQuery, AgentRecord, AgentStatus, RegistryStore } from './store.ts';
import type { TrustCache } from './trust-cache.ts';

export interface AgentView extends AgentRecord {
  /** Trust score 0..1 from the identity server; null when none is reachable. */
  trust: number | null;
}

export interface FindAgentsQuery extends Omit<AgentQuery, 'after' | 'limit'> {
  minTrust?: number | undefined;
  cursor?: string | undefined;
  limit: number;
}

export interface AgentDeps {
  store: RegistryStore;
  identity: IdentityDirectory;
  trust: TrustCache;
  events: EventSink;
  now: () => number;
  settings: RegistrySettings;
  /** Called when an agent goes offline, so its open tasks move elsewhere. */
  onOffline(did: string): Promise<void>;
}

/** Emits the event for a liveness change; every transition gets one. */
export async function announceStatus(
  events: EventSink,
  agent: Pick<AgentRecord, 'did' | 'name'>,
  from: AgentStatus | null,
  to: AgentStatus,
  reason: string,
): Promise<void> {
  await events.publish(`agent.${to}`, agent.did, { from, to, name: agent.name, reason });
}

/** Agents: registration from a signed card, heartbeats, lookup. */
export class AgentService {
  readonly #d: AgentDeps;

  constructor(deps: AgentDeps) {
    this.#d = deps;
  }

  async register(caller: string, input: unknown): Promise<{ agent: AgentView; created: boolean }> {
    const card = parseOrThrow(AgentCard, input, 'card');
    if (card.did !== caller) {
      throw new PlexusError(
        'forbidden',
        'card_not_yours',
        `card.did ${card.did} is not the caller ${caller}`,
        {
          hint: 'register your own card, signed with your own key',
          field: 'card.did',
        },
      );
    }
    await verifySignedBy(this.#d.identity, card.did, card, 'card');
    const now = this.#d.now();
    if (card.issuedAt > now + this.#d.settings.maxClockSkewMs) {
      throw new PlexusError('invalid', 'card_from_future', 'card.issuedAt: is in the future', {
        field: 'card.issuedAt',
      });
    }
    const existing = await this.#d.store.getAgent(card.did);
    const stored = existing ? (existing.card as { version?: number; signature?: string }) : null;
    if (stored && typeof stored.version === 'number') {
      const same = stored.version === card.version && stored.signature === card.signature;
      if (card.version < stored.version || (card.version === stored.version && !same)) {
        throw new PlexusError(
          'conflict',
          'card_stale',
          `card.version ${card.version} does not replace the registered version ${stored.version}`,
          { hint: 'increase card.version when the card changes', field: 'card.version' },
        );
      }
    }
    const agent = await this.#d.store.putAgent({
      did: card.did,
      name: card.name,
      role: card.role,
      capabilities: card.capabilities,
      card,
      status: 'online',
      load: existing?.load ?? 0,
      activeTasks: existing?.activeTasks ?? 0,
      lastHeartbeat: now,
      registeredAt: now,
      updatedAt: now,
    });
    await this.#d.events.publish('agent.registered', agent.did, {
      name: agent.name,
      role: agent.role,
      capabilities: agent.capabilities,
      version: card.version,
    });
    if (existing?.status !== 'online') {
      await announceStatus(this.#d.events, agent, existing?.status ?? null, 'online', 'registered');
    }
    return { agent: await this.#view(agent), created: !existing };
  }

  async heartbeat(
    caller: string,
    beat: { status: 'online' | 'offline'; load: number; activeTasks: number },
  ): Promise<AgentView> {
    const at = this.#d.now();
    const result = await this.#d.store.recordHeartbeat(caller, { ...beat, at });
    if (!result) {
      throw new PlexusError('not_found', 'agent_not_registered', `${caller} is not registered`, {
        hint: 'call register_agent with your signed Agent Card first',
      });
    }
    const { before, after } = result;
    if (before !== after.status) {
      const reason = beat.status === 'offline' ? 'signed off' : 'heartbeat';
      await announceStatus(this.#d.events, after, before, after.status, reason);
      if (after.status === 'offline') await this.#d.onOffline(caller);
    }
    return this.#view(after);
  }

  async deregister(caller: string): Promise<boolean> {
    const agent = await this.#d.store.getAgent(caller);
    if (!agent || !(await this.#d.store.deleteAgent(caller))) return false;
    if (agent.status !== 'offline')
      await announceStatus(this.#d.events, agent, agent.status, 'offline', 'deregistered');
    await this.#d.onOffline(caller);
    return true;
  }

  async get(did: string): Promise<AgentView | null> {
    const agent = await this.#d.store.getAgent(did);
    return agent ? this.#view(agent) : null;
  }

  async find(query: FindAgentsQuery): Promise<{ agents: AgentView[]; cursor: string | null }> {
    const { minTrust, cursor, limit, ...filter } = query;
    const found: AgentView[] = [];
    let after = cursor;
    // Trust is not in the store: filter batch by batch until the page is full (keyset paging keeps it exact).
    for (;;) {
      const batch = await this.#d.store.findAgents({ ...filter, after, limit: limit + 1 });
      const trust = await this.#d.trust.scores(batch.map((a) => a.did));
      for (const agent of batch) {
        const last = found.at(-1);
        if (found.length === limit && last) return { agents: found, cursor: last.did };
        const view = { ...agent, trust: trust.get(agent.did) ?? null };
        // Unknown trust (no identity server) never passes a minimum.
        if (minTrust === undefined || (view.trust !== null && view.trust >= minTrust)) found.push(view);
      }
      const lastOfBatch = batch.at(-1);
      if (batch.length <= limit || !lastOfBatch) return { agents: found, cursor: null };
      after = lastOfBatch.did;
    }
  }

  async #view(agent: AgentRecord): Promise<AgentView> {
    return { ...agent, trust: await this.#d.trust.score(agent.did) };
  }
}
