import type { Scope } from '../../../schemas/memory.ts';
import type { Metadata, RecordOf } from '../../../schemas/memory/record.ts';
import { checkWritable, describe, sealRecord, type MemoryContext } from './context.ts';
import type { Page, StoredRecord } from './store.ts';

export interface EpisodeInput {
  thread: string;
  role: string;
  content: string;
  /** Whose episode it is; defaults to the author. */
  agent?: string | undefined;
  /** When it happened; defaults to now. */
  time?: number | undefined;
  metadata?: Metadata | undefined;
  scope: Scope;
}

export interface EpisodeFilter {
  thread?: string | undefined;
  agent?: string | undefined;
  since?: number | undefined;
  until?: number | undefined;
  text?: string | undefined;
  order?: 'asc' | 'desc' | undefined;
  cursor?: string | undefined;
  limit?: number | undefined;
}

export type EpisodeView = ReturnType<typeof episodeView>;

export function episodeView(record: StoredRecord) {
  const { body } = record as RecordOf<'episode'> & StoredRecord;
  return {
    thread: body.thread,
    role: body.role,
    content: body.content,
    agent: body.agent,
    time: body.occurredAt,
    ...(body.metadata ? { metadata: body.metadata } : {}),
    ...describe(record),
  };
}

/** The episodic archive: append-only (episodes are never invalidated), queried by thread, agent, time, text. */
export class EpisodicArchive {
  readonly #ctx: MemoryContext;

  constructor(ctx: MemoryContext) {
    this.#ctx = ctx;
  }

  async record(actor: string, input: EpisodeInput): Promise<EpisodeView> {
    await checkWritable(this.#ctx, actor, input.scope);
    const now = this.#ctx.now();
    const time = input.time ?? now;
    const record = sealRecord<RecordOf<'episode'>>(this.#ctx, {
      kind: 'episode',
      author: actor,
      scope: input.scope,
      recordedAt: now,
      validFrom: time,
      validTo: null,
      body: {
        thread: input.thread,
        role: input.role,
        content: input.content,
        agent: input.agent ?? actor,
        occurredAt: time,
        ...(input.metadata ? { metadata: input.metadata } : {}),
      },
    });
    const [stored] = await this.#ctx.store.write((tx) => tx.insert([record]));
    if (!stored) throw new Error('episode was not stored');
    return episodeView(stored);
  }

  async query(actor: string, filter: EpisodeFilter): Promise<Page<EpisodeView>> {
    const page = await this.#ctx.store.episodes({
      viewer: actor,
      order: filter.order ?? 'asc',
      limit: filter.limit ?? 50,
      ...(filter.thread !== undefined ? { thread: filter.thread } : {}),
      ...(filter.agent !== undefined ? { agent: filter.agent } : {}),
      ...(filter.since !== undefined ? { since: filter.since } : {}),
      ...(filter.until !== undefined ? { until: filter.until } : {}),
      ...(filter.text !== undefined ? { text: filter.text } : {}),
      ...(filter.cursor !== undefined ? { cursor: filter.cursor } : {}),
    });
    return { ...page, items: page.items.map(episodeView) };
  }
}
