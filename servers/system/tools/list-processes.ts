import type { McpServer } from '@modelcontextprotocol/server';
import { defineTool, type ToolHost } from '../../../lib/mcp/define-tool.ts';
import { ListProcessesInput, ProcessList, type ProcessInfo } from '../../../schemas/system/tools.ts';
import { listProcesses } from '../domain/processes.ts';

const ORDER: Record<'cpu' | 'memory' | 'pid', (a: ProcessInfo, b: ProcessInfo) => number> = {
  cpu: (a, b) => b.cpu_percent - a.cpu_percent,
  memory: (a, b) => b.rss_kib - a.rss_kib,
  pid: (a, b) => a.pid - b.pid,
};

export function registerListProcesses(server: McpServer, host: ToolHost): void {
  defineTool(server, host, {
    name: 'list_processes',
    title: 'List processes',
    description: 'Running processes with CPU and memory use, optionally filtered by command text.',
    scope: 'read',
    input: ListProcessesInput,
    output: ProcessList,
    annotations: { readOnlyHint: true, openWorldHint: false },
    handler: async ({ name, sort, limit }) => {
      const all = await listProcesses();
      const matching = name ? all.filter((p) => p.command.includes(name)) : all;
      const processes = matching.sort(ORDER[sort]).slice(0, limit);
      return {
        structured: { processes, total: matching.length },
        text: `${matching.length} processes${name ? ` matching '${name}'` : ''}; showing ${processes.length} by ${sort}`,
      };
    },
  });
}
