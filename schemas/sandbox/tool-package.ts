import { z } from 'zod';
import { Did } from '../common.ts';
import { Ed25519Multibase, RotationStatement } from '../identity/statements.ts';
import {
  FsPermission,
  MAX_TOOL_MEMORY_MB,
  MAX_TOOL_TIME_MS,
  NetPermission,
  ToolManifest,
  ToolName,
} from '../tool-manifest.ts';

/** File name of a tool package's manifest. */
export const MANIFEST_FILE = 'plexus-tool.json';

/**
 * The manifest of a sandboxed tool package as the sandbox loads it: the ToolManifest plus the SHA-256 of the
 * entry file, so the author's signature covers the code and not only its description. An author that rotated
 * its key names the key that signed and the rotations that lead to it from its did:key's own key (as its
 * identity log holds them), so the package verifies with no hub at hand.
 */
export const SandboxToolManifest = ToolManifest.extend({
  entrySha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be the lower-case hex SHA-256 of the entry file'),
  /** The key that signed, when not the author's did:key's own. */
  signingKey: Ed25519Multibase.optional(),
  /** The author's rotations from its did:key's own key to `signingKey`, oldest first. */
  keyChain: z.array(RotationStatement).min(1).max(100).optional(),
});
export type SandboxToolManifest = z.infer<typeof SandboxToolManifest>;
export type UnsignedSandboxToolManifest = Omit<SandboxToolManifest, 'signature'>;

/**
 * What the operator allows one tool, one author, or any tool. The granted permissions are the intersection
 * of this and what the manifest asks for.
 */
export const PolicyRule = z.strictObject({
  /** Refuse the tool (or every tool of the author) outright. */
  deny: z.boolean().optional(),
  /** Roots a tool may be granted (the requested root must lie within one of these with at least its access). */
  fs: z.array(FsPermission).max(64).optional(),
  /** host:port patterns a tool may be granted (`*.example.com:443`, `api.example.com`, `10.0.0.5:8080`, `*`). */
  net: z
    .array(z.union([NetPermission, z.literal('*')]))
    .max(128)
    .optional(),
  kv: z.boolean().optional(),
  /** How much a tool may keep in its kv store; unset fields take DEFAULT_KV_QUOTA. */
  kvQuota: z
    .strictObject({
      /** Bytes of keys and JSON values together. */
      bytes: z
        .int()
        .min(1024)
        .max(1024 * 1024 * 1024)
        .optional(),
      keys: z.int().min(1).max(1_000_000).optional(),
    })
    .optional(),
  /** WebAssembly, for tools whose manifest asks for it; its memory counts against memoryMb. */
  wasm: z.boolean().optional(),
  memoryMb: z.int().min(8).max(MAX_TOOL_MEMORY_MB).optional(),
  timeMs: z.int().min(1).max(MAX_TOOL_TIME_MS).optional(),
  /** CPU time per call; the wall-clock deadline is timeMs. */
  cpuMs: z.int().min(1).max(MAX_TOOL_TIME_MS).optional(),
});
export type PolicyRule = z.infer<typeof PolicyRule>;

export const SandboxPolicy = z.strictObject({
  /** What any tool may get; the most specific matching rule (tool, then author, then this) applies. */
  defaults: PolicyRule.default({}),
  authors: z.record(Did, PolicyRule).default({}),
  tools: z.record(ToolName, PolicyRule).default({}),
  /** Authors whose trust score (0..1, from the identity server) is below this are refused. */
  minTrust: z.number().min(0).max(1).optional(),
  /** `narrow` grants what policy allows and records the rest; `refuse` rejects a package that asks for more. */
  overAsk: z.enum(['narrow', 'refuse']).default('narrow'),
  /** Folder that relative fs permission paths resolve against. */
  workspace: z.string().min(1).optional(),
});
export type SandboxPolicy = z.infer<typeof SandboxPolicy>;
export type SandboxPolicyInput = z.input<typeof SandboxPolicy>;

/** A tool's kv quota when its policy rule sets none. */
export const DEFAULT_KV_QUOTA = { bytes: 8 * 1024 * 1024, keys: 10_000 } as const;

/** Defaults when neither manifest nor policy says more narrowly. */
export const DEFAULT_LIMITS = {
  memoryMb: 64,
  timeMs: 5_000,
  cpuMs: 5_000,
  /** Largest JSON output a call may return. */
  outputBytes: 1024 * 1024,
} as const;

/** The sandbox server's section of the configuration (`plexus serve sandbox`). */
export const SandboxSettings = z.strictObject({
  toolsDir: z.string().min(1),
  policy: SandboxPolicy.default({ defaults: {}, authors: {}, tools: {}, overAsk: 'narrow' }),
  /** Worker processes kept running. */
  workers: z.int().min(1).max(64).default(2),
  /** Calls waiting for a worker before new calls get a `sandbox_busy` error. */
  maxQueue: z.int().min(0).max(100_000).default(256),
  /** A worker whose resident memory grows past this is replaced after its call. */
  workerMemoryMb: z.int().min(64).max(16_384).default(512),
  outputBytes: z
    .int()
    .min(1024)
    .max(64 * 1024 * 1024)
    .default(DEFAULT_LIMITS.outputBytes),
  /** Reload debounce after the tools folder changes. */
  reloadDebounceMs: z.int().min(0).max(60_000).default(200),
  watch: z.boolean().default(true),
});
export type SandboxSettings = z.infer<typeof SandboxSettings>;
export type SandboxSettingsInput = z.input<typeof SandboxSettings>;

/**
 * What a running sandbox serves, written after every load of its tools folder (`sandbox/serving.json` in
 * its data dir): the process, the packages loaded and the ones refused.
 */
export const SandboxServing = z.object({
  pid: z.int(),
  tools: z.array(
    z.object({ name: z.string(), version: z.string(), author: z.string(), entrySha256: z.string() }),
  ),
  failures: z.array(z.object({ dir: z.string(), code: z.string(), message: z.string() })),
});
export type SandboxServing = z.infer<typeof SandboxServing>;
