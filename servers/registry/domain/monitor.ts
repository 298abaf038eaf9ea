import type { Logger } from '../../../lib/log.ts';
import { announceStatus } from './agents.ts';
import type { EventSink, IdentityDirectory } from './ports.ts';
import { monitorInterval, type RegistrySettings } from './settings.ts';
import type { AgentStatus, RegistryStore } from './store.ts';

export interface MonitorDeps {
  store: RegistryStore;
  events: EventSink;
  identity: IdentityDirectory;
  /** Moves open tasks off agents that went offline and past their deadline. */
  redispatchDue(): Promise<number>;
  now: () => number;
  settings: RegistrySettings;
  log: Logger;
}

export interface TickReport {
  stale: string[];
  offline: string[];
  redispatched: number;
}

/**
 * Marks silent agents `online → stale → offline` (after `staleAfterMissed` and `offlineAfterMissed` heartbeat
 * intervals without a heartbeat), emits an event for each transition, and re-dispatches tasks that need it.
 * Ticks run one at a time; a tick that is still running when the timer fires again is not doubled.
 */
export class HeartbeatMonitor {
  readonly #d: MonitorDeps;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<TickReport> | null = null;

  constructor(deps: MonitorDeps) {
    this.#d = deps;
  }

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      this.tick().catch((error: unknown) =>
        this.#d.log.error({ err: error }, 'heartbeat monitor tick failed'),
      );
    }, monitorInterval(this.#d.settings));
    this.#timer.unref();
  }

  /** Stops the timer and waits for a running tick. */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#running?.catch(() => undefined);
  }

  /** The tick in progress, if any (tests await it after advancing mocked timers). */
  get running(): Promise<TickReport> | null {
    return this.#running;
  }

  tick(): Promise<TickReport> {
    this.#running ??= this.#tick().finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  async #tick(): Promise<TickReport> {
    const { heartbeatIntervalMs, staleAfterMissed, offlineAfterMissed } = this.#d.settings;
    const now = this.#d.now();
    const offline = await this.#mark(
      ['online', 'stale'],
      'offline',
      now - heartbeatIntervalMs * offlineAfterMissed,
    );
    const stale = await this.#mark(['online'], 'stale', now - heartbeatIntervalMs * staleAfterMissed);
    for (const did of offline) {
      await this.#d.identity.reportOutcome({
        subject: did,
        source: 'uptime',
        positive: false,
        reference: `offline:${did}@${now}`,
      });
    }
    const redispatched = await this.#d.redispatchDue();
    return { stale, offline, redispatched };
  }

  async #mark(from: readonly AgentStatus[], to: AgentStatus, silentBefore: number): Promise<string[]> {
    const changed: string[] = [];
    for (const agent of await this.#d.store.agentsSilentSince(from, silentBefore)) {
      // Conditional on the status we read: a heartbeat that lands meanwhile wins.
      if (!(await this.#d.store.transitionAgent(agent.did, agent.status, to, this.#d.now()))) continue;
      changed.push(agent.did);
      const missed = Math.floor((this.#d.now() - agent.lastHeartbeat) / this.#d.settings.heartbeatIntervalMs);
      await announceStatus(this.#d.events, agent, agent.status, to, `${missed} heartbeats missed`);
    }
    return changed;
  }
}
