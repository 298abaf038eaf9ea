import type { McpServer } from '@modelcontextprotocol/server';
import { defineTool } from '../../../lib/mcp/define-tool.ts';
import { GetRegistryInfoInput, GetRegistryInfoOutput } from '../../../schemas/registry/tools.ts';
import type { RegistryDeps } from '../server.ts';

export function registerGetRegistryInfo(server: McpServer, deps: RegistryDeps): void {
  defineTool(server, deps, {
    name: 'get_registry_info',
    title: 'Registry info',
    description:
      "The registry's own DID (it signs task envelopes: check their sender against it) and its heartbeat timing.",
    scope: 'read',
    input: GetRegistryInfoInput,
    output: GetRegistryInfoOutput,
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    handler: async () => {
      const s = deps.settings;
      return {
        structured: {
          did: deps.dispatcher.serviceDid,
          heartbeat_interval_ms: s.heartbeatIntervalMs,
          stale_after_ms: s.heartbeatIntervalMs * s.staleAfterMissed,
          offline_after_ms: s.heartbeatIntervalMs * s.offlineAfterMissed,
          max_attempts: s.maxAttempts,
        },
        text: `registry ${deps.dispatcher.serviceDid}; heartbeat every ${s.heartbeatIntervalMs} ms`,
      };
    },
  });
}
