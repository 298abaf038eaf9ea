import type { McpServer } from '@modelcontextprotocol/server';
import { defineTool, type ToolHost } from '../../../lib/mcp/define-tool.ts';
import { PlexusError } from '../../../lib/errors.ts';
import { DiskUsage, DiskUsageInput } from '../../../schemas/system/tools.ts';
import { diskUsage } from '../domain/system-info.ts';

export function registerGetDiskUsage(server: McpServer, host: ToolHost): void {
  defineTool(server, host, {
    name: 'get_disk_usage',
    title: 'Disk usage',
    description: 'Size, free and available bytes of the file systems holding the given paths.',
    scope: 'read',
    input: DiskUsageInput,
    output: DiskUsage,
    annotations: { readOnlyHint: true, openWorldHint: false },
    handler: async ({ paths }) => {
      const usage = await diskUsage(paths).catch((error: NodeJS.ErrnoException) => {
        throw new PlexusError(
          'not_found',
          'path_unavailable',
          `cannot stat ${error.path ?? 'path'}: ${error.code ?? error.message}`,
        );
      });
      return {
        structured: usage,
        text: usage.disks.map((d) => `${d.path}: ${d.used_percent}% used`).join('; '),
      };
    },
  });
}
