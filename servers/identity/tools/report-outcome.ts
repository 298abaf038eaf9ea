import type { McpServer } from '@modelcontextprotocol/server';
import { defineTool } from '../../../lib/mcp/define-tool.ts';
import { ReportOutcomeInput, ReportOutcomeOutput } from '../../../schemas/identity/tools.ts';
import type { IdentityToolDeps } from './deps.ts';

export function registerReportOutcome(server: McpServer, deps: IdentityToolDeps): void {
  defineTool(server, deps, {
    name: 'report_outcome',
    title: 'Report a task outcome or uptime',
    description:
      'The registry reports how a task went or whether an agent kept its heartbeat; it feeds the same trust ' +
      'model as attestations. Reporting the same reference again changes nothing.',
    scope: 'admin',
    input: ReportOutcomeInput,
    output: ReportOutcomeOutput,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    handler: async (input) => {
      const recorded = await deps.trust.reportOutcome(input);
      return {
        structured: { recorded, duplicate: !recorded },
        text: recorded ? `${input.source} outcome recorded for ${input.subject}` : 'already recorded',
      };
    },
  });
}
