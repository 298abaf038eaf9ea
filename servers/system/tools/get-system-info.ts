import type { McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { defineTool, type ToolHost } from '../../../lib/mcp/define-tool.ts';
import { SystemInfo } from '../../../schemas/system/tools.ts';
import { systemInfo } from '../domain/system-info.ts';

export function registerGetSystemInfo(server: McpServer, host: ToolHost): void {
  defineTool(server, host, {
    name: 'get_system_info',
    title: 'System information',
    description:
      'Host name, OS, uptime, load average, CPU count and current usage, memory, and this process.',
    scope: 'read',
    input: z.object({}),
    output: SystemInfo,
    annotations: { readOnlyHint: true, openWorldHint: false },
    handler: async () => {
      const info = await systemInfo();
      const gib = (b: number) => (b / 2 ** 30).toFixed(1);
      return {
        structured: info,
        text: `${info.hostname} (${info.platform} ${info.arch}): ${info.cpus.count} CPUs at ${info.cpus.usage_percent}%, memory ${gib(info.memory.total_bytes - info.memory.free_bytes)}/${gib(info.memory.total_bytes)} GiB, up ${Math.round(info.uptime_seconds / 3600)} h`,
      };
    },
  });
}
