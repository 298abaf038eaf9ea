import { PlexusError } from '../../../lib/errors.ts';
import type { Entity, Relation, Scope } from '../../../schemas/memory.ts';
import type { RecordOf } from '../../../schemas/memory/record.ts';
import {
  checkWritable,
  describe,
  endAll,
  mayEnd,
  sealRecord,
  validity,
  type MemoryContext,
  type ValidityInput,
} from './context.ts';
import { scopeKey } from './records.ts';
import type { MemoryWriter, StoredRecord } from './store.ts';

type Stored<K extends 'entity' | 'observation' | 'relation'> = RecordOf<K> & StoredRecord;

export type EntityInput = Entity & ValidityInput;
export type RelationInput = Relation & ValidityInput;

export interface ObservationInput {
  entityName: string;
  contents: string[];
  /** Observations of the entity these contradict: they are invalidated as the new ones are added. */
  replaces?: string[] | undefined;
  /** Which scope's entity, when the name exists in more than one the caller can write. */
  scope?: Scope | undefined;
}

export interface ReadOptions {
  /** See the graph as it was valid at this time (default now). */
  asOf?: number | undefined;
  /** Only this scope. */
  scope?: Scope | undefined;
  /** Add ids, scope, provenance and validity to every entity, observation and relation. */
  detail?: boolean | undefined;
}

export type Described = ReturnType<typeof describe>;
export type GraphEntity = Entity & Partial<Described> & { facts?: (Described & { content: string })[] };
export type GraphRelation = Relation & Partial<Described>;
export interface Graph {
  entities: GraphEntity[];
  relations: GraphRelation[];
}

const entityKey = (scope: Scope, name: string): string => `${scopeKey(scope)}\u0000${name}`;
const relationKey = (r: Relation): string => `${r.from}\u0000${r.to}\u0000${r.relationType}`;

/**
 * The knowledge graph: the MCP reference memory server's semantics (entities unique by name, observations
 * unique per entity, relations unique by from/to/type, deletes cascade to an entity's observations and
 * relations) over immutable records, per scope, with provenance, validity and history.
 */
export class KnowledgeGraph {
  readonly #ctx: MemoryContext;

  constructor(ctx: MemoryContext) {
    this.#ctx = ctx;
  }

  /** Creates entities whose names are new in the scope; returns those created, as given. */
  async createEntities(actor: string, entities: readonly EntityInput[], scope: Scope): Promise<Entity[]> {
    await checkWritable(this.#ctx, actor, scope);
    const now = this.#ctx.now();
    return this.#ctx.store.write(async (tx) => {
      const existing = await tx.records({
        kinds: ['entity'],
        viewer: actor,
        at: now,
        scope: scopeKey(scope),
        names: entities.map((e) => e.name),
      });
      const taken = new Set(existing.map((e) => (e as Stored<'entity'>).body.name));
      const created: Entity[] = [];
      for (const [i, e] of entities.entries()) {
        if (taken.has(e.name)) continue;
        taken.add(e.name);
        const when = validity(e, now, `entities.${i}.`);
        const base = { author: actor, scope, recordedAt: now, ...when };
        const observations = [...new Set(e.observations)];
        await tx.insert([
          sealRecord(this.#ctx, {
            ...base,
            kind: 'entity',
            body: { name: e.name, entityType: e.entityType },
          }),
          ...observations.map((content) =>
            sealRecord(this.#ctx, { ...base, kind: 'observation', body: { entityName: e.name, content } }),
          ),
        ]);
        created.push({ name: e.name, entityType: e.entityType, observations });
      }
      return created;
    });
  }

  /** Creates relations new in the scope (endpoints need not exist, as in the reference server). */
  async createRelations(
    actor: string,
    relations: readonly RelationInput[],
    scope: Scope,
  ): Promise<Relation[]> {
    await checkWritable(this.#ctx, actor, scope);
    const now = this.#ctx.now();
    return this.#ctx.store.write(async (tx) => {
      const existing = await this.#current(
        tx,
        actor,
        'relation',
        now,
        relations.map((r) => r.from),
        scope,
      );
      const taken = new Set(existing.map((r) => relationKey(r.body)));
      const created: Relation[] = [];
      for (const [i, r] of relations.entries()) {
        const body = { from: r.from, to: r.to, relationType: r.relationType };
        if (taken.has(relationKey(body))) continue;
        taken.add(relationKey(body));
        const when = validity(r, now, `relations.${i}.`);
        await tx.insert([
          sealRecord(this.#ctx, { kind: 'relation', author: actor, scope, recordedAt: now, ...when, body }),
        ]);
        created.push(body);
      }
      return created;
    });
  }

  /** Adds observations to existing entities; all or nothing (an unknown entity fails the whole call). */
  async addObservations(
    actor: string,
    items: readonly ObservationInput[],
  ): Promise<{ entityName: string; addedObservations: string[] }[]> {
    const now = this.#ctx.now();
    return this.#ctx.store.write(async (tx) => {
      const results = [];
      for (const [i, item] of items.entries()) {
        const entity = await this.#resolveEntity(
          tx,
          actor,
          item.entityName,
          item.scope,
          now,
          `observations.${i}`,
        );
        await checkWritable(this.#ctx, actor, entity.scope);
        const current = await this.#current(tx, actor, 'observation', now, [item.entityName], entity.scope);
        const replaced = current.filter((o) => item.replaces?.includes(o.body.content));
        await endAll(this.#ctx, tx, actor, replaced, now, 'replaced');
        const gone = new Set(replaced.map((o) => o.body.content));
        const have = new Set(current.filter((o) => !gone.has(o.body.content)).map((o) => o.body.content));
        const added = [...new Set(item.contents)].filter((c) => !have.has(c));
        await tx.insert(
          added.map((content) =>
            sealRecord(this.#ctx, {
              kind: 'observation',
              author: actor,
              scope: entity.scope,
              recordedAt: now,
              validFrom: now,
              validTo: null,
              body: { entityName: item.entityName, content },
            }),
          ),
        );
        results.push({ entityName: item.entityName, addedObservations: added });
      }
      return results;
    });
  }

  /**
   * Invalidates the named entities with their observations, and every relation from or to one of the names,
   * whether or not an entity of that name exists (the reference server removes relations by name).
   */
  async deleteEntities(actor: string, names: readonly string[], scope?: Scope): Promise<void> {
    const now = this.#ctx.now();
    await this.#ctx.store.write(async (tx) => {
      const wanted = new Set(names);
      const entities = (await this.#current(tx, actor, 'entity', now, names, scope)).filter((e) =>
        wanted.has(e.body.name),
      );
      const dependents: StoredRecord[] = (
        await this.#current(tx, actor, 'relation', now, names, scope)
      ).filter((r) => wanted.has(r.body.from) || wanted.has(r.body.to));
      for (const entity of entities) {
        dependents.push(
          ...(await this.#current(tx, actor, 'observation', now, [entity.body.name], entity.scope)),
        );
      }
      const targets: StoredRecord[] = [...entities];
      // Facts others added to a shared entity, and their relations to it, stay theirs.
      for (const d of dependents) if (await mayEnd(this.#ctx, actor, d)) targets.push(d);
      await endAll(this.#ctx, tx, actor, dedupe(targets), now, 'deleted');
    });
  }

  async deleteObservations(
    actor: string,
    deletions: readonly { entityName: string; observations: string[]; scope?: Scope | undefined }[],
  ): Promise<void> {
    const now = this.#ctx.now();
    await this.#ctx.store.write(async (tx) => {
      const targets: StoredRecord[] = [];
      for (const d of deletions) {
        const current = await this.#current(tx, actor, 'observation', now, [d.entityName], d.scope);
        targets.push(
          ...current.filter(
            (o) => o.body.entityName === d.entityName && d.observations.includes(o.body.content),
          ),
        );
      }
      await endAll(this.#ctx, tx, actor, dedupe(targets), now, 'deleted');
    });
  }

  async deleteRelations(actor: string, relations: readonly Relation[], scope?: Scope): Promise<void> {
    const now = this.#ctx.now();
    await this.#ctx.store.write(async (tx) => {
      const wanted = new Set(relations.map(relationKey));
      const current = await this.#current(
        tx,
        actor,
        'relation',
        now,
        relations.map((r) => r.from),
        scope,
      );
      const targets = current.filter((r) => wanted.has(relationKey(r.body)));
      await endAll(this.#ctx, tx, actor, targets, now, 'deleted');
    });
  }

  /** The graph the actor can see, valid at `asOf` (default now), in recording order. */
  async readGraph(actor: string, options: ReadOptions = {}): Promise<Graph> {
    const at = options.asOf ?? this.#ctx.now();
    const query = { viewer: actor, at, ...(options.scope ? { scope: scopeKey(options.scope) } : {}) };
    const [entities, observations, relations] = await Promise.all([
      this.#ctx.store.records({ ...query, kinds: ['entity'] }),
      this.#ctx.store.records({ ...query, kinds: ['observation'] }),
      this.#ctx.store.records({ ...query, kinds: ['relation'] }),
    ]);
    const facts = new Map<string, Stored<'observation'>[]>();
    for (const o of observations as Stored<'observation'>[]) {
      const key = entityKey(o.scope, o.body.entityName);
      facts.set(key, [...(facts.get(key) ?? []), o]);
    }
    const detail = options.detail === true;
    return {
      entities: (entities as Stored<'entity'>[]).map((e) => {
        const own = facts.get(entityKey(e.scope, e.body.name)) ?? [];
        const entity: GraphEntity = {
          name: e.body.name,
          entityType: e.body.entityType,
          observations: own.map((o) => o.body.content),
        };
        if (!detail) return entity;
        return {
          ...entity,
          ...describe(e),
          facts: own.map((o) => ({ content: o.body.content, ...describe(o) })),
        };
      }),
      relations: (relations as Stored<'relation'>[]).map((r) => ({
        ...r.body,
        ...(detail ? describe(r) : {}),
      })),
    };
  }

  /** Entities whose name, type or an observation contains `query` (case-insensitive), and their relations. */
  async searchNodes(actor: string, query: string, options: ReadOptions = {}): Promise<Graph> {
    const needle = query.toLowerCase();
    return this.#subgraph(await this.readGraph(actor, options), (e) =>
      [e.name, e.entityType, ...e.observations].some((text) => text.toLowerCase().includes(needle)),
    );
  }

  async openNodes(actor: string, names: readonly string[], options: ReadOptions = {}): Promise<Graph> {
    return this.#subgraph(await this.readGraph(actor, options), (e) => names.includes(e.name));
  }

  /** The matching entities and every relation with at least one endpoint among them. */
  #subgraph(graph: Graph, match: (e: GraphEntity) => boolean): Graph {
    const entities = graph.entities.filter(match);
    const names = new Set(entities.map((e) => e.name));
    return { entities, relations: graph.relations.filter((r) => names.has(r.from) || names.has(r.to)) };
  }

  async #current<K extends 'entity' | 'observation' | 'relation'>(
    tx: MemoryWriter,
    actor: string,
    kind: K,
    at: number,
    names: readonly string[],
    scope: Scope | undefined,
  ): Promise<Stored<K>[]> {
    return (await tx.records({
      kinds: [kind],
      viewer: actor,
      at,
      names,
      ...(scope ? { scope: scopeKey(scope) } : {}),
    })) as Stored<K>[];
  }

  /** The one current entity of that name the actor can see (in `scope` when given). */
  async #resolveEntity(
    tx: MemoryWriter,
    actor: string,
    name: string,
    scope: Scope | undefined,
    at: number,
    field: string,
  ): Promise<Stored<'entity'>> {
    const found = (await this.#current(tx, actor, 'entity', at, [name], scope)).filter(
      (e) => e.body.name === name,
    );
    const [first, second] = found;
    if (!first) {
      throw new PlexusError('not_found', 'entity_not_found', `Entity with name ${name} not found`, {
        hint: 'create it first with create_entities',
        field: `${field}.entityName`,
      });
    }
    if (second) {
      throw new PlexusError(
        'conflict',
        'entity_ambiguous',
        `entity ${name} exists in scopes ${found.map((e) => scopeKey(e.scope)).join(', ')}`,
        { hint: 'pass scope to say which', field: `${field}.scope` },
      );
    }
    return first;
  }
}

function dedupe(records: StoredRecord[]): StoredRecord[] {
  return [...new Map(records.map((r) => [r.id, r])).values()];
}
