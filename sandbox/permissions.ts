import { PlexusError } from '../lib/errors.ts';
import {
  DEFAULT_KV_QUOTA,
  type SandboxPolicy,
  type PolicyRule,
  type SandboxToolManifest,
} from '../schemas/sandbox/tool-package.ts';
import { netEntryCovers } from './policy/net.ts';
import { accessCovers, isWithinRoot, resolvePermissionPath, type Root } from './policy/paths.ts';

/** What a loaded tool may actually use: the intersection of its manifest and the operator's policy. */
export interface Grant {
  fs: Root[];
  net: string[];
  kv: boolean;
  /** Bounds on the kv store: bytes of keys and values together, and the number of keys. */
  kvQuota: { bytes: number; keys: number };
  /** WebAssembly available, its memory counted against memoryMb. */
  wasm: boolean;
  memoryMb: number;
  /** Wall-clock deadline per call. */
  timeMs: number;
  cpuMs: number;
  /** Permissions the manifest asked for that policy did not grant, for error messages and listings. */
  narrowed: string[];
}

/** A grant of no capabilities within the given limits, for code that needs none (measurements, tests). */
export function bareGrant(limits: { memoryMb: number; timeMs: number }): Grant {
  return {
    fs: [],
    net: [],
    kv: false,
    kvQuota: { ...DEFAULT_KV_QUOTA },
    wasm: false,
    ...limits,
    cpuMs: limits.timeMs,
    narrowed: [],
  };
}

/** Caps when the matching rule sets none: a tool gets what it asks for up to these. */
export const POLICY_CAPS = { memoryMb: 128, timeMs: 30_000 } as const;

export interface GrantContext {
  workspace: string;
  home?: string;
  /** The author's trust score when the policy has a minimum; undefined when unknown. */
  trust?: number | undefined;
}

/** The rule that applies: the tool's own, else its author's, else the defaults. */
export function ruleFor(
  policy: SandboxPolicy,
  manifest: Pick<SandboxToolManifest, 'name' | 'author'>,
): PolicyRule {
  return policy.tools[manifest.name] ?? policy.authors[manifest.author] ?? policy.defaults;
}

function refused(code: string, message: string, hint?: string): PlexusError {
  return new PlexusError('forbidden', code, message, hint ? { hint } : {});
}

/**
 * Grants a tool the permissions its manifest asks for that policy allows. Throws a `forbidden` PlexusError
 * when the tool or author is denied, the author's trust is too low, or (with overAsk 'refuse') the manifest
 * asks for anything policy does not allow.
 */
export function grantPermissions(
  manifest: SandboxToolManifest,
  policy: SandboxPolicy,
  context: GrantContext,
): Grant {
  if (policy.tools[manifest.name]?.deny || policy.authors[manifest.author]?.deny || policy.defaults.deny) {
    throw refused('tool_denied', `policy denies tool '${manifest.name}' by ${manifest.author}`);
  }
  if (policy.minTrust !== undefined) {
    const trust = context.trust;
    if (trust === undefined || trust < policy.minTrust) {
      throw refused(
        'author_untrusted',
        `author ${manifest.author} has trust ${trust ?? 'unknown'}, below the minimum ${policy.minTrust}`,
        'raise the author’s trust, add an authors rule for it, or lower policy.minTrust',
      );
    }
  }
  const rule = ruleFor(policy, manifest);
  const base = { workspace: context.workspace, ...(context.home ? { home: context.home } : {}) };
  const narrowed: string[] = [];
  const asked = manifest.permissions;

  const allowedRoots = (rule.fs ?? []).map((p) => ({
    path: resolvePermissionPath(p.path, base),
    access: p.access,
  }));
  const fs: Root[] = [];
  for (const request of asked.fs) {
    const target = resolvePermissionPath(request.path, base);
    const covering = allowedRoots.filter((a) => isWithinRoot(a.path, target));
    if (covering.some((a) => accessCovers(a.access, request.access))) {
      fs.push({ path: target, access: request.access });
    } else if (covering.length > 0) {
      // Asked to write where policy allows reading only: grant the read.
      fs.push({ path: target, access: 'read' });
      narrowed.push(`fs write ${target}`);
    } else {
      narrowed.push(`fs ${request.access} ${target}`);
    }
  }

  const net: string[] = [];
  for (const entry of asked.net) {
    if ((rule.net ?? []).some((allowed) => netEntryCovers(allowed, entry))) net.push(entry);
    else narrowed.push(`net ${entry}`);
  }

  const kv = asked.kv === true && rule.kv === true;
  if (asked.kv === true && !kv) narrowed.push('kv');
  const kvQuota = { ...DEFAULT_KV_QUOTA, ...rule.kvQuota };
  const wasm = asked.wasm === true && rule.wasm === true;
  if (asked.wasm === true && !wasm) narrowed.push('wasm');

  const memoryCap = rule.memoryMb ?? POLICY_CAPS.memoryMb;
  const memoryMb = Math.min(asked.memoryMb, memoryCap);
  if (memoryMb < asked.memoryMb) narrowed.push(`memoryMb ${asked.memoryMb}→${memoryMb}`);
  const timeCap = rule.timeMs ?? POLICY_CAPS.timeMs;
  const timeMs = Math.min(asked.timeMs, timeCap);
  if (timeMs < asked.timeMs) narrowed.push(`timeMs ${asked.timeMs}→${timeMs}`);
  const cpuMs = Math.min(timeMs, rule.cpuMs ?? timeMs);

  if (narrowed.length > 0 && policy.overAsk === 'refuse') {
    throw refused(
      'permissions_refused',
      `tool '${manifest.name}' asks for more than policy allows: ${narrowed.join(', ')}`,
      'ask for less in plexus-tool.json, or widen the operator policy',
    );
  }
  return { fs, net, kv, kvQuota, wasm, memoryMb, timeMs, cpuMs, narrowed };
}
