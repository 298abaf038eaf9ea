import { z } from 'zod';

const StdioEntry = z.strictObject({
  type: z.literal('stdio').optional(),
  command: z.string().min(1),
  args: z.array(z.string()).default([]),
  env: z.record(z.string(), z.string()).default({}),
  cwd: z.string().optional(),
  disabled: z.boolean().default(false),
});
const HttpEntry = z.strictObject({
  type: z.enum(['http', 'streamable-http']).optional(),
  url: z.url(),
  headers: z.record(z.string(), z.string()).default({}),
  disabled: z.boolean().default(false),
});
/** The standard `mcpServers` entry (Claude Desktop / Cursor format). */
export const McpServerEntry = z.union([StdioEntry, HttpEntry]);
export type McpServerEntry = z.infer<typeof McpServerEntry>;
