import { SyncPullInput, SyncPullOutput, SyncPushInput, SyncPushOutput } from '../../schemas/memory/sync.ts';
import { contract, defineClient } from './typed-client.ts';

/** The memory server's tools other Plexus parts call (an agent's own memory syncing with the federation). */
export const memoryClient = defineClient('memory', {
  syncPush: contract('sync_push', SyncPushInput, SyncPushOutput),
  syncPull: contract('sync_pull', SyncPullInput, SyncPullOutput),
});

export type MemoryClient = ReturnType<typeof memoryClient>;
