import { z } from 'zod';
import { Did, TimestampMs } from '../common.ts';
import { MAX_EPISODE_LENGTH, Provenance, Scope, Validity } from '../memory.ts';
import { ContentId, EpisodeRole, Metadata, ThreadId } from './record.ts';

export const RecordEpisodeInput = z.object({
  thread: ThreadId.describe('Conversation or task thread id'),
  role: EpisodeRole.describe('e.g. user, assistant, tool, system'),
  content: z.string().min(1).max(MAX_EPISODE_LENGTH),
  agent: Did.optional().describe('Whose episode it is (default: you)'),
  time: TimestampMs.optional().describe('When it happened (default now)'),
  metadata: Metadata.optional(),
  scope: Scope.optional().describe('private (default), a group, or public'),
});

export const EpisodeView = z.object({
  id: ContentId,
  thread: ThreadId,
  role: EpisodeRole,
  content: z.string(),
  agent: Did,
  time: TimestampMs,
  metadata: Metadata.optional(),
  scope: Scope,
  provenance: Provenance,
  validity: Validity,
});
export const RecordEpisodeOutput = z.object({ episode: EpisodeView });

export const QueryEpisodesInput = z.object({
  thread: ThreadId.optional(),
  agent: Did.optional(),
  since: TimestampMs.optional().describe('time ≥ since'),
  until: TimestampMs.optional().describe('time < until'),
  text: z.string().min(1).max(1000).optional().describe('Full-text match on the content (any word)'),
  order: z.enum(['asc', 'desc']).optional().describe('By time; default asc'),
  cursor: z.string().max(200).optional().describe('From the previous page'),
  limit: z.int().min(1).max(500).optional().describe('Default 50'),
});
export const QueryEpisodesOutput = z.object({
  episodes: z.array(EpisodeView),
  cursor: z.string().nullable(),
  more: z.boolean(),
});
