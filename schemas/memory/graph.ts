import { z } from 'zod';
import { TimestampMs } from '../common.ts';
import { Entity, EntityName, ObservationText, Provenance, Relation, Scope, Validity } from '../memory.ts';
import { ContentId } from './record.ts';

/**
 * Knowledge-graph tool contracts. Names, arguments and result shapes are those of the MCP reference memory
 * server (@modelcontextprotocol/server-memory); everything Plexus adds is optional and snake_case.
 */

const validityInput = {
  valid_from: TimestampMs.optional().describe('When the fact starts to hold (ms since epoch; default now)'),
  valid_to: TimestampMs.optional().describe('When it stops holding (default: open-ended)'),
};
const writeScope = Scope.optional().describe(
  'Who may read what is created: private (default), a group, or public',
);
const targetScope = Scope.optional().describe('Only act in this scope (default: every scope you can write)');
const readOptions = {
  as_of: TimestampMs.optional().describe('See the graph as valid at this time (default now)'),
  scope: Scope.optional().describe('Only this scope'),
  detail: z.boolean().optional().describe('Add ids, scope, provenance and validity to every item'),
};

export const CreateEntitiesInput = z.object({
  entities: z.array(Entity.extend(validityInput)).min(1).max(500),
  scope: writeScope,
});
export const CreateEntitiesOutput = z.object({ entities: z.array(Entity) });

export const CreateRelationsInput = z.object({
  relations: z.array(Relation.extend(validityInput)).min(1).max(500),
  scope: writeScope,
});
export const CreateRelationsOutput = z.object({ relations: z.array(Relation) });

export const AddObservationsInput = z.object({
  observations: z
    .array(
      z.strictObject({
        entityName: EntityName,
        contents: z.array(ObservationText).max(500),
        replaces: z
          .array(ObservationText)
          .max(500)
          .optional()
          .describe('Observations these contradict: invalidated (kept in history), not erased'),
        scope: targetScope,
      }),
    )
    .min(1)
    .max(500),
});
export const AddObservationsOutput = z.object({
  results: z.array(z.object({ entityName: EntityName, addedObservations: z.array(ObservationText) })),
});

export const DeleteEntitiesInput = z.object({
  entityNames: z.array(EntityName).min(1).max(500),
  scope: targetScope,
});
export const DeleteObservationsInput = z.object({
  deletions: z
    .array(
      z.strictObject({
        entityName: EntityName,
        observations: z.array(ObservationText).max(500),
        scope: targetScope,
      }),
    )
    .min(1)
    .max(500),
});
export const DeleteRelationsInput = z.object({
  relations: z.array(Relation).min(1).max(500),
  scope: targetScope,
});
/** The reference server's delete result. Deleting invalidates: `as_of` still sees what was deleted. */
export const DeleteOutput = z.object({ success: z.boolean(), message: z.string() });

const details = {
  id: ContentId.optional(),
  scope: Scope.optional(),
  provenance: Provenance.optional(),
  validity: Validity.optional(),
};
export const GraphEntity = Entity.extend({
  ...details,
  facts: z
    .array(
      z.object({
        content: ObservationText,
        id: ContentId,
        scope: Scope,
        provenance: Provenance,
        validity: Validity,
      }),
    )
    .optional(),
});
export const GraphRelation = Relation.extend(details);

export const ReadGraphInput = z.object(readOptions);
export const SearchNodesInput = z.object({
  query: z.string().max(1000).describe('Matched case-insensitively against names, types and observations'),
  ...readOptions,
});
export const OpenNodesInput = z.object({ names: z.array(EntityName).max(500), ...readOptions });
export const GraphOutput = z.object({ entities: z.array(GraphEntity), relations: z.array(GraphRelation) });
