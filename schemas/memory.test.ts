import { describe, test } from 'node:test';
import { generateIdentityKeys } from '../lib/crypto/identity-keys.ts';
import { uuidv7 } from '../lib/crypto/uuidv7.ts';
import { Entity, Episode, MemoryItem, Observation, Relation, Scope, Provenance, Validity } from './memory.ts';
import { REMOVE, assertAccepts, assertRejects, withField } from './testing.ts';

const agent = generateIdentityKeys().did;
const peer = generateIdentityKeys().did;
const T = 1_760_000_000_000;
const provenance = { author: agent, source: 'conversation:t1', confidence: 0.9, recordedAt: T };
const validity = { validFrom: T, validTo: null };
const scope = { kind: 'group', group: 'team-alpha' } as const;

describe('memory schemas', () => {
  test('Scope', () => {
    assertAccepts(Scope, { kind: 'private' });
    assertAccepts(Scope, { kind: 'public' });
    assertAccepts(Scope, scope);
    assertRejects(Scope, { kind: 'group' }, 'group', /required/);
    assertRejects(Scope, { kind: 'private', group: 'x' }, 'group');
    assertRejects(Scope, { kind: 'team' }, 'kind');
    assertRejects(Scope, { kind: 'group', group: 'Team Alpha' }, 'group');
  });

  test('Provenance and Validity', () => {
    assertAccepts(Provenance, provenance);
    assertAccepts(Provenance, { author: agent, recordedAt: T });
    assertRejects(Provenance, { ...provenance, confidence: 1.5 }, 'confidence');
    assertRejects(Provenance, { ...provenance, author: 'me' }, 'author');
    assertRejects(Provenance, { ...provenance, recordedAt: REMOVE }, 'recordedAt');
    assertAccepts(Validity, { validFrom: T, validTo: T });
    assertRejects(Validity, { validFrom: T, validTo: T - 1 }, 'validTo');
    assertRejects(Validity, { validFrom: T }, 'validTo');
  });

  test('Entity and Relation (the reference memory server shapes)', () => {
    const entity = { name: 'Ada Lovelace', entityType: 'person', observations: ['wrote the first program'] };
    assertAccepts(Entity, entity);
    assertRejects(Entity, withField(entity, 'name', ''), 'name');
    assertRejects(Entity, withField(entity, 'entityType', REMOVE), 'entityType');
    assertRejects(Entity, withField(entity, 'observations', ['ok', ' padded']), 'observations.1');
    assertRejects(Entity, withField(entity, 'observations', 'one'), 'observations');
    const relation = { from: 'Ada Lovelace', to: 'Analytical Engine', relationType: 'programmed' };
    assertAccepts(Relation, relation);
    assertRejects(Relation, withField(relation, 'to', 'x'.repeat(257)), 'to');
    assertRejects(Relation, withField(relation, 'kind', 'x'), 'kind');
  });

  test('Observation', () => {
    const observation = { entityName: 'Ada Lovelace', content: 'born 1815', scope, provenance, validity };
    assertAccepts(Observation, observation);
    assertRejects(Observation, withField(observation, 'content', 'x'.repeat(4097)), 'content');
    assertRejects(Observation, withField(observation, 'scope.kind', 'world'), 'scope.kind');
    assertRejects(Observation, withField(observation, 'provenance.author', 'x'), 'provenance.author');
    assertRejects(Observation, withField(observation, 'validity.validTo', T - 5), 'validity.validTo');
  });

  test('Episode', () => {
    const episode = {
      id: uuidv7(T),
      agent,
      content: 'Discussed the launch plan with peer.',
      summary: 'launch plan',
      occurredAt: T,
      thread: 'launch',
      participants: [agent, peer],
      tags: ['planning'],
      scope,
      provenance,
    };
    assertAccepts(Episode, episode);
    assertRejects(Episode, withField(episode, 'participants', [agent, agent]), 'participants');
    assertRejects(Episode, withField(episode, 'participants', ['nobody']), 'participants.0');
    assertRejects(Episode, withField(episode, 'content', ''), 'content');
    assertRejects(Episode, withField(episode, 'id', 'e1'), 'id');
    assertRejects(Episode, withField(episode, 'tags', ['\t']), 'tags.0');
  });

  test('MemoryItem', () => {
    const item = {
      id: uuidv7(T),
      kind: 'observation',
      text: 'Ada Lovelace: born 1815',
      data: { entityName: 'Ada Lovelace' },
      scope: { kind: 'private' },
      provenance,
      validity,
      createdAt: T,
      updatedAt: T,
      deletedAt: null,
    };
    assertAccepts(MemoryItem, item);
    assertAccepts(MemoryItem, withField(item, 'data', REMOVE));
    assertRejects(MemoryItem, withField(item, 'kind', 'fact'), 'kind');
    assertRejects(MemoryItem, withField(item, 'text', ''), 'text');
    assertRejects(MemoryItem, withField(item, 'data', 'x'.repeat(65 * 1024)), 'data');
    assertRejects(MemoryItem, withField(item, 'deletedAt', REMOVE), 'deletedAt');
    assertRejects(MemoryItem, withField(item, 'scope', { kind: 'group' }), 'scope.group');
  });
});
