/** A capability use the tool's grant does not allow. The message names the permission. */
export class PermissionDenied extends Error {
  constructor(permission: string, detail: string) {
    super(`permission denied: ${permission}: ${detail}`);
    this.name = 'PermissionDenied';
  }
}

/** A capability use past one of the tool's quotas. The message names the quota. */
export class QuotaExceeded extends Error {
  constructor(quota: string, detail: string) {
    super(`quota exceeded: ${quota}: ${detail}`);
    this.name = 'QuotaExceeded';
  }
}

/** A capability used wrongly (bad arguments, a missing file): the tool's own fault, told plainly. */
export class CapabilityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CapabilityError';
  }
}

export function narrowedNote(narrowed: readonly string[], prefix: string): string {
  const hits = narrowed.filter((n) => n.startsWith(prefix));
  return hits.length ? ` (the manifest asked for ${hits.join(', ')}; operator policy did not grant it)` : '';
}
