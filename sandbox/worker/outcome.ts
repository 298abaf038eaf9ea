import type { Grant } from '../permissions.ts';
import { narrowedNote } from './denied.ts';
import type { CallErrorCode } from './protocol.ts';

export type Outcome = { output: string } | { error: { code: CallErrorCode; message: string } };

/** Error names the guest glue gives host refusals (see bootstrap and wasm-guard), and the code each means. */
const NAMED_CODES: readonly [prefix: string, code: CallErrorCode][] = [
  ['PermissionDenied:', 'permission_denied'],
  ['QuotaExceeded:', 'quota_exceeded'],
  ['MemoryLimit:', 'memory_limit'],
];

export function clip(text: string, max = 2000): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** What an error the tool threw (as `Name: message`) says about its cause. */
export function thrownError(
  described: string,
  tool: { name: string; grant: Grant },
): { code: CallErrorCode; message: string } {
  if (!tool.grant.wasm && described.startsWith('ReferenceError: WebAssembly is not defined')) {
    return {
      code: 'permission_denied',
      message:
        `permission denied: wasm: not granted to tool '${tool.name}'` +
        `${narrowedNote(tool.grant.narrowed, 'wasm')} (${described})`,
    };
  }
  const named = NAMED_CODES.find(([prefix]) => described.startsWith(prefix));
  return { code: named?.[1] ?? 'tool_error', message: clip(described) };
}

/** The call's result from the glue's JSON answer (`o` output, `e` thrown, `j` unserialisable, `x` too long). */
export function glueOutcome(text: unknown, cap: number, tool: { name: string; grant: Grant }): Outcome {
  if (typeof text !== 'string')
    return { error: { code: 'internal', message: 'the sandbox returned no result' } };
  if (Buffer.byteLength(text) > cap + 16) {
    return { error: { code: 'output_too_large', message: `the output is larger than ${cap} bytes` } };
  }
  const value: unknown = JSON.parse(text);
  // The glue always answers with an object; anything else means the tool tampered with JSON itself.
  if (typeof value !== 'object' || value === null) {
    return { error: { code: 'output_invalid', message: 'the tool tampered with JSON serialisation' } };
  }
  const parsed = value as { o?: unknown; e?: unknown; j?: unknown; x?: unknown };
  if (typeof parsed.x === 'number') {
    return {
      error: {
        code: 'output_too_large',
        message: `the output (${parsed.x} characters) is larger than ${cap} bytes`,
      },
    };
  }
  if (typeof parsed.j === 'string') return { error: { code: 'output_invalid', message: clip(parsed.j) } };
  if (typeof parsed.e === 'string') return { error: thrownError(parsed.e, tool) };
  return { output: JSON.stringify(parsed.o ?? null) };
}

/** The message a capability failure that is neither a denial nor the tool's own mistake gives the tool. */
export function hostFailure(op: string, error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? `${op} failed (${code})` : `${op} failed in the host`;
}
