import { z } from 'zod';
import { HttpUrl } from '../agent-card.ts';
import { Did, Signature, label } from '../common.ts';
import { SemVer, ToolName } from '../tool-manifest.ts';

export const MCP_TRANSPORTS = ['stdio', 'streamable-http', 'sse'] as const;

/** An npm package spec (`name`, `@scope/name`, optionally `@version`) runnable with npx. */
export const PackageSpec = z
  .string()
  .min(1)
  .max(214)
  .regex(
    /^(?:@[a-z0-9][a-z0-9._-]*\/)?[a-z0-9][a-z0-9._-]*(?:@[A-Za-z0-9._^~<>=*+-]+)?$/,
    'must be an npm package name, optionally @version',
  );

/**
 * A third-party MCP server offered to the network, signed by its author's did:key (JCS of every field but
 * `signature`): reachable at `url` (streamable-http, sse) or started from `package` (stdio).
 */
export const McpServerListing = z
  .strictObject({
    name: ToolName,
    version: SemVer,
    description: label(1024),
    transport: z.enum(MCP_TRANSPORTS),
    url: HttpUrl.optional(),
    package: PackageSpec.optional(),
    author: Did,
    signature: Signature,
  })
  .superRefine((listing, ctx) => {
    if (listing.transport === 'stdio' && listing.package === undefined) {
      ctx.addIssue({ code: 'custom', path: ['package'], message: 'a stdio server needs its package' });
    }
    if (listing.transport !== 'stdio' && listing.url === undefined) {
      ctx.addIssue({ code: 'custom', path: ['url'], message: `a ${listing.transport} server needs its url` });
    }
  });
export type McpServerListing = z.infer<typeof McpServerListing>;
export type UnsignedMcpServerListing = Omit<McpServerListing, 'signature'>;
