import { GetSandboxStatsInput, GetSandboxStatsOutput } from '../../schemas/sandbox/tools.ts';
import { contract, defineClient } from './typed-client.ts';

/** The sandbox server's tools other Plexus parts call (the console reads its pool and per-tool stats). */
export const sandboxClient = defineClient('sandbox', {
  getSandboxStats: contract('get_sandbox_stats', GetSandboxStatsInput, GetSandboxStatsOutput),
});

export type SandboxClient = ReturnType<typeof sandboxClient>;
