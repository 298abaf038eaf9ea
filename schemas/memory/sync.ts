import { z } from 'zod';
import { GroupName } from '../memory.ts';
import { ContentId, MemoryRecord } from './record.ts';

export const SyncPushInput = z.object({
  records: z.array(MemoryRecord).min(1).max(500).describe('Records signed by their author DIDs'),
});
export const SyncPushOutput = z.object({
  stored: z.int(),
  duplicates: z.int(),
  rejected: z.array(z.object({ index: z.int(), id: ContentId, code: z.string(), message: z.string() })),
});

export const SyncPullInput = z.object({
  cursor: z.string().max(200).optional().describe('From the previous pull; omit to start from the beginning'),
  limit: z.int().min(1).max(1000).optional().describe('Default 200'),
});
export const SyncPullOutput = z.object({
  records: z.array(MemoryRecord),
  cursor: z.string().nullable(),
  more: z.boolean(),
  groups: z.array(GroupName).describe('The groups you belong to now'),
});
