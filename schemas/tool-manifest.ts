import { z } from 'zod';
import { Did, JsonValue, Signature, jsonSize, label } from './common.ts';

export const MAX_JSON_SCHEMA_BYTES = 16 * 1024;
export const MAX_TOOL_MEMORY_MB = 1024;
export const MAX_TOOL_TIME_MS = 10 * 60 * 1000;

/** snake_case or kebab-case, ≤ 40 characters, so `<server>__<tool>` fits MCP clients' 64-character limit. */
export const ToolName = z
  .string()
  .min(1)
  .max(40)
  .regex(/^[a-z][a-z0-9_-]*$/, 'must start with a letter; lower-case letters, digits, _ and - only');
export type ToolName = z.infer<typeof ToolName>;

// semver.org's recommended pattern.
const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;
export const SemVer = z.string().max(64).regex(SEMVER, 'must be a semantic version (e.g. 1.2.3)');
export type SemVer = z.infer<typeof SemVer>;

/** A JSON Schema for an object (what MCP requires of tool input and output schemas). */
export const ObjectJsonSchema = z
  .object({ type: z.literal('object') })
  .catchall(JsonValue)
  .refine(
    (s) => jsonSize(s) <= MAX_JSON_SCHEMA_BYTES,
    `must be at most ${MAX_JSON_SCHEMA_BYTES} bytes of JSON`,
  );
export type ObjectJsonSchema = z.infer<typeof ObjectJsonSchema>;

const hasDotDot = (p: string): boolean => p.split(/[/\\]/).includes('..');

/** A filesystem root the tool asks for (absolute, `~/…` or relative to the host's workspace). */
export const FsPermission = z.strictObject({
  path: z
    .string()
    .min(1)
    .max(1024)
    .refine((p) => !p.includes('\0'), 'must not contain NUL')
    .refine((p) => !hasDotDot(p), 'must not contain .. segments'),
  access: z.enum(['read', 'write']),
});
export type FsPermission = z.infer<typeof FsPermission>;

/** `host`, `*.host`, or either with `:port` / `:*`; hosts are DNS names or IPv4 addresses. */
export const NET_PERMISSION_PATTERN =
  /^(?:\*\.)?[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*(?::(?:\*|[1-9]\d{0,4}))?$/;
export const NetPermission = z
  .string()
  .max(260)
  .regex(NET_PERMISSION_PATTERN, 'must be host, *.host, host:port or host:* (lower case)')
  .refine((h) => {
    const port = /:(\d+)$/.exec(h)?.[1];
    return port === undefined || Number(port) <= 65535;
  }, 'port must be at most 65535');
export type NetPermission = z.infer<typeof NetPermission>;

/** What a sandboxed tool asks for; the host grants at most this, and operator policy can only narrow it. */
export const ToolPermissions = z.strictObject({
  fs: z.array(FsPermission).max(32),
  net: z.array(NetPermission).max(64),
  memoryMb: z.int().min(8).max(MAX_TOOL_MEMORY_MB),
  timeMs: z.int().min(1).max(MAX_TOOL_TIME_MS),
  /** A small per-tool key-value store (its size bounded by operator policy). */
  kv: z.boolean().optional(),
  /** WebAssembly; its memory counts against memoryMb. */
  wasm: z.boolean().optional(),
});
export type ToolPermissions = z.infer<typeof ToolPermissions>;

/** The entry file inside the tool package: a relative path with no `..`. */
export const EntryPath = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[A-Za-z0-9._-]+(?:\/[A-Za-z0-9._-]+)*$/, 'must be a relative path (letters, digits, . _ - /)')
  .refine((p) => !hasDotDot(p) && !p.split('/').includes('.'), 'must not contain . or .. segments');

/** A sandboxed tool package's manifest, signed by its author's current key (JCS of every field but `signature`). */
export const ToolManifest = z.strictObject({
  name: ToolName,
  version: SemVer,
  description: label(1024),
  inputSchema: ObjectJsonSchema,
  outputSchema: ObjectJsonSchema,
  permissions: ToolPermissions,
  entry: EntryPath,
  /** Lower-case hex SHA-256 of the entry file, so the signature covers the code (the sandbox requires it). */
  entrySha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/, 'must be the lower-case hex SHA-256 of the entry file')
    .optional(),
  author: Did,
  signature: Signature,
});
export type ToolManifest = z.infer<typeof ToolManifest>;
export type UnsignedToolManifest = Omit<ToolManifest, 'signature'>;
